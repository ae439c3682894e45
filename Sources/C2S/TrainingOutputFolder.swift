import Foundation
import SingleCell

/// The output folder of a training run. It is checked when the command starts and created only
/// once every input has been read and checked, so bad input leaves nothing behind.
///
/// An existing folder is an error unless `--overwrite` (it is then replaced) or the run resumes
/// from a checkpoint inside it (the run then continues in it: its metrics log is rewritten from
/// the checkpoint's, later checkpoints are replaced as the run reaches them).
///
/// The folder replaced by `--overwrite` is lost only once the new run has finished: `create()`
/// moves it aside to ``previousPath`` (a hidden sibling), ``finish()`` removes it, and
/// ``restore()`` (a run that failed) puts it back unless the failed run saved checkpoints (then
/// both stay and the user is told where). A run killed outright leaves it aside, with
/// its own partial folder (and checkpoints to resume from) in place; the next `--overwrite` run
/// keeps that earlier model aside and drops the partial one, and whichever run next finishes in
/// the folder removes it.
///
/// Two runs writing one folder would corrupt each other's checkpoints: each run claims the
/// folder with a hidden `.NAME.c2s-train-PID` file beside it, and a second run stops with an
/// error while the first one's process lives (a dead run's claim is cleared).
final class TrainingOutputFolder {
    let path: String
    private let replace: Bool
    private let claim: String

    /// Where the replaced output waits while the new one is written.
    var previousPath: String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).c2s-previous").path
    }

    /// Files a folder written by a training run has; `--overwrite` replaces only such a folder
    /// (or an empty one), never a folder of the user's.
    static let ownFiles = ["metrics.jsonl", "trainer_state.json", "c2s.json"]

    init(path: String, resume: String?, overwrite: Bool, inputs: [String] = []) throws {
        self.path = path
        let url = URL(fileURLWithPath: path).standardizedFileURL
        try AtomicOutput.checkFolderExists(url.deletingLastPathComponent().path, of: path)
        try AtomicOutput.checkNotAnInput(path, inputs: inputs)
        replace = try Self.replaces(url, resume: resume, overwrite: overwrite, path: path)
        claim = try Self.claim(url, path: path)
    }

    deinit { try? FileManager.default.removeItem(atPath: claim) }

    /// Whether the run replaces an existing folder; throws when it may not write there.
    private static func replaces(_ url: URL, resume: String?, overwrite: Bool, path: String) throws -> Bool {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return false }
        let resumesInside = resume.map { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().path == url.path } ?? false
        if resumesInside {
            guard isFolder.boolValue else { throw FileError(path, "is not a folder") }
            return false
        } else if overwrite {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            guard isFolder.boolValue, contents.isEmpty || Self.ownFiles.contains(where: contents.contains) else {
                throw FileError(path, "exists and is not the output of an earlier training run (it has none of \(Self.ownFiles.joined(separator: ", "))); --overwrite only replaces c2s's own output: choose another output, or remove it yourself")
            }
            return true
        }
        throw FileError(path, "already exists; pass --overwrite to replace it (or --resume \(path)/checkpoint-N to continue a run in it)")
    }

    /// This process's claim file; throws when a live process holds one.
    private static func claim(_ url: URL, path: String) throws -> String {
        let parent = url.deletingLastPathComponent().path
        let prefix = ".\(url.lastPathComponent).c2s-train-"
        try AtomicOutput.clearClaims(in: parent, prefix: prefix, of: path, by: "c2s train run")
        let claim = parent + "/" + prefix + "\(getpid())"
        guard FileManager.default.createFile(atPath: claim, contents: nil) else {
            throw FileError(path, "cannot create a file beside it (\(String(cString: strerror(errno))))")
        }
        return claim
    }

    /// Creates the folder; with `--overwrite` the existing one is first moved aside (or, when an
    /// earlier output already waits aside, the existing one is a killed run's partial output
    /// and is removed).
    func create() throws {
        let manager = FileManager.default
        if replace {
            do {
                if manager.fileExists(atPath: previousPath) {
                    try manager.removeItem(atPath: path)
                } else {
                    try manager.moveItem(atPath: path, toPath: previousPath)
                }
            } catch {
                throw FileError(path, "cannot replace the existing output (\(error.localizedDescription))")
            }
        }
        do { try manager.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            restore()
            throw FileError(path, "cannot create the output folder (\(error.localizedDescription))")
        }
    }

    /// The run finished: the replaced output (this run's, or one a killed run left aside) goes.
    func finish() {
        if FileManager.default.fileExists(atPath: previousPath) { try? FileManager.default.removeItem(atPath: previousPath) }
    }

    /// The run failed. Without checkpoints of its own its folder goes and the replaced output
    /// comes back; with checkpoints (to resume from, e.g. the last finite one before a NaN)
    /// both stay and the replaced output waits aside. Returns what happened, for the user, or
    /// nil when nothing was being replaced.
    @discardableResult
    func restore() -> String? {
        let manager = FileManager.default
        guard replace, manager.fileExists(atPath: previousPath) else { return nil }
        let checkpoints = ((try? manager.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasPrefix("checkpoint-") }
        if !checkpoints.isEmpty {
            return "the output this run was replacing is kept in \(previousPath), beside this run's checkpoints in \(path); remove \(path) and move it back to restore it"
        }
        try? manager.removeItem(atPath: path)
        do { try manager.moveItem(atPath: previousPath, toPath: path) } catch {
            return "the output this run was replacing is kept in \(previousPath) (it could not be moved back: \(error.localizedDescription))"
        }
        return "\(path) holds the output this run was replacing, as it was"
    }
}
