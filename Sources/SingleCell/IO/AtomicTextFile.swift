import Foundation

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
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try Data(text.utf8).write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw FileError(path, "cannot write (\(error.localizedDescription))")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw FileError(path, "cannot move the finished file into place (\(reason))")
        }
    }
}
