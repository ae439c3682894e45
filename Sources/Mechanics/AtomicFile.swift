import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file written under a temporary name in its target folder and renamed into place by
/// `commit()`, so an interrupted run never leaves a half-written file that looks whole.
/// Dropping it without committing removes the temporary file. Every c2s output file that is
/// written whole goes through it (`AtomicFile.write(_:to:)` for one buffer).
///
/// Each caller says how a failure reads (`Failure`): checkpoints as `CheckpointError`, data
/// files as `FileError`, each naming the final path, what was being done and the system's
/// reason.
public final class AtomicFile {
    /// Makes the error for a failed `operation` ("write", "rename the finished file into place
    /// as", …) on `path`, with the operating system's `reason`.
    public typealias Failure = @Sendable (_ path: String, _ operation: String, _ reason: String) -> any Error

    public let finalPath: String
    private let temporaryPath: String
    private var fd: Int32
    private let durable: Bool
    private let failure: Failure

    /// - Parameters:
    ///   - durable: flush to disk (`fsync`) before the rename, so a crash of the machine cannot
    ///     leave the new name pointing at an empty file (checkpoints, models); small files that
    ///     can be remade may skip it.
    public init(path: String, durable: Bool = true, failure: @escaping Failure) throws {
        finalPath = path
        self.durable = durable
        self.failure = failure
        let url = URL(fileURLWithPath: path)
        // Same folder as the target: rename(2) is atomic only within one file system.
        temporaryPath = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, "create a temporary file beside", errnoDescription(errno)) }
    }

    /// Writes all `count` bytes, retrying short writes and interruptions.
    public func write(_ bytes: UnsafeRawPointer, count: Int) throws {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, bytes + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(finalPath, "write", errnoDescription(errno))
            }
            done += n
        }
    }

    public func write(_ data: [UInt8]) throws {
        try data.withUnsafeBytes { if $0.count > 0 { try write($0.baseAddress!, count: $0.count) } }
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { if $0.count > 0 { try write($0.baseAddress!, count: $0.count) } }
    }

    /// Flushes the data (when durable), then renames the file into place.
    public func commit() throws {
        if durable {
            guard fsync(fd) == 0 else { throw failure(finalPath, "flush", errnoDescription(errno)) }
        }
        let result = close(fd)
        fd = -1
        guard result == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw failure(finalPath, "close", errnoDescription(code))
        }
        guard rename(temporaryPath, finalPath) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw failure(finalPath, "rename the finished file into place as", errnoDescription(code))
        }
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporaryPath)
        }
    }

    /// Writes `data` to `path` whole: temporary name, then one rename over any earlier file.
    public static func write(_ data: Data, to path: String, durable: Bool = true, failure: @escaping Failure) throws {
        let file = try AtomicFile(path: path, durable: durable, failure: failure)
        try file.write(data)
        try file.commit()
    }
}

/// The text of an `errno` value.
public func errnoDescription(_ code: Int32) -> String {
    String(cString: strerror(code))
}
