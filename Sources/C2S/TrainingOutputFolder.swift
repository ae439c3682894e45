import Foundation
import SingleCell

/// The output folder of a training run. It is checked when the command starts and created only
/// once every input has been read and checked, so bad input leaves nothing behind.
///
/// An existing folder is an error unless `--overwrite` (it is then replaced) or the run resumes
/// from a checkpoint inside it (the run then continues in it: its metrics log is rewritten from
/// the checkpoint's, later checkpoints are replaced as the run reaches them).
struct TrainingOutputFolder {
    let path: String
    private let replace: Bool

    /// Files a folder written by a training run has; `--overwrite` replaces only such a folder
    /// (or an empty one), never a folder of the user's.
    static let ownFiles = ["metrics.jsonl", "trainer_state.json", "c2s.json"]

    init(path: String, resume: String?, overwrite: Bool, inputs: [String] = []) throws {
        self.path = path
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let parent = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
            throw FileError(path, "the folder \(parent) does not exist")
        }
        try AtomicOutput.checkNotAnInput(path, inputs: inputs)
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            replace = false
            return
        }
        let resumesInside = resume.map { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().path == url.path } ?? false
        if resumesInside {
            guard isFolder.boolValue else { throw FileError(path, "is not a folder") }
            replace = false
        } else if overwrite {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            guard isFolder.boolValue, contents.isEmpty || Self.ownFiles.contains(where: contents.contains) else {
                throw FileError(path, "exists and is not the output of an earlier training run (it has none of \(Self.ownFiles.joined(separator: ", "))); --overwrite only replaces c2s's own output: choose another output, or remove it yourself")
            }
            replace = true
        } else {
            throw FileError(path, "already exists; pass --overwrite to replace it (or --resume \(path)/checkpoint-N to continue a run in it)")
        }
    }

    /// Creates the folder (replacing it with `--overwrite`).
    func create() throws {
        let manager = FileManager.default
        if replace {
            do { try manager.removeItem(atPath: path) } catch {
                throw FileError(path, "cannot replace the existing output (\(error.localizedDescription))")
            }
        }
        do { try manager.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw FileError(path, "cannot create the output folder (\(error.localizedDescription))")
        }
    }
}
