import Foundation
import Mechanics

/// Writes a text file so that an interrupted run never leaves a half-written file in place.
public enum AtomicTextFile {
    /// Writes `text` (UTF-8) to a temporary file beside `path`, then renames it over `path`
    /// with one `rename(2)`, which replaces an existing file atomically. Creates missing parent
    /// folders. Throws ``FileError`` naming `path`.
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FileError(path, "cannot create the folder \(folder.path) (\(error.localizedDescription))")
        }
        try write(Data(text.utf8), to: path)
    }

    /// Writes `data` whole to `path` (in an existing folder), errors as `FileError`.
    public static func write(_ data: Data, to path: String) throws {
        // Small data files are remade by rerunning; no fsync for each.
        try AtomicFile.write(data, to: path, durable: false, failure: failure)
    }

    /// How a failed atomic write of a data file reads: `FILE: cannot OPERATION: REASON`.
    public static let failure: AtomicFile.Failure = { FileError($0, "cannot \($1): \($2)") }
}
