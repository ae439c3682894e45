import Foundation
import Mechanics

/// Lines of text to a file or to standard output: the outputs of the `lm` commands, which
/// write to stdout unless given `--output`. A file is written under `AtomicOutput`'s temporary
/// name and renamed into place by `commit()`, so an interrupted run leaves no half-written
/// file; standard output is written as the lines come.
public final class LineOutput {
    private let atomic: AtomicOutput?
    private var buffer = ""
    private let handle: FileHandle?

    /// Lines to `path`, or to standard output when `path` is nil. `inputs`: the files the
    /// command reads, which the output must never replace (a prompts file given as its own
    /// output with --overwrite was replaced by the generations).
    public init(path: String?, overwrite: Bool, inputs: [String?] = []) throws {
        if let path {
            let a = try AtomicOutput(path, folder: false, overwrite: overwrite, inputs: inputs.compactMap { $0 })
            atomic = a
            guard FileManager.default.createFile(atPath: a.temporary, contents: nil),
                  let h = FileHandle(forWritingAtPath: a.temporary) else { throw FileError(path, "cannot be written") }
            handle = h
        } else {
            atomic = nil
            handle = nil
        }
    }

    /// Writes `line` and a line break (buffered).
    public func write(_ line: String) throws {
        buffer += line + "\n"
        if buffer.utf8.count > 1 << 16 { try flush() }
    }

    /// Writes the buffered lines. A failed write (a full disk) is an error naming the file,
    /// and the temporary is removed; Foundation's non-throwing `write(_:)` trapped instead.
    private func flush() throws {
        defer { buffer = "" }
        do {
            try (handle ?? FileHandle.standardOutput).write(contentsOf: Data(buffer.utf8))
        } catch {
            throw failure(error)
        }
    }

    /// Writes what is buffered and moves a file output into place.
    public func commit() throws {
        try flush()
        do { try handle?.close() } catch { throw failure(error) }
        try atomic?.commit()
    }

    /// Removes the temporary and words the failure with the system's reason (e.g. "No space
    /// left on device").
    private func failure(_ error: Error) -> FileError {
        atomic?.cancel()
        let ns = error as NSError
        var reason = error.localizedDescription
        if ns.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(ns.code)))
        } else if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(underlying.code)))
        } else if ns.code == NSFileWriteOutOfSpaceError {
            reason = String(cString: strerror(ENOSPC))
        }
        return FileError(atomic?.destination ?? "standard output", "cannot be written (\(reason))")
    }
}
