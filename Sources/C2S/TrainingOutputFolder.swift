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

    init(path: String, resume: String?, overwrite: Bool) throws {
        self.path = path
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let parent = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
            throw FileError(path, "the folder \(parent) does not exist")
        }
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            replace = false
            return
        }
        let resumesInside = resume.map { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().path == url.path } ?? false
        if resumesInside {
            guard isFolder.boolValue else { throw FileError(path, "is not a folder") }
            replace = false
        } else if overwrite {
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
