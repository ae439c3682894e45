import Foundation
import Glibc

/// A file written under a temporary name in its target folder and renamed into place by
/// `commit()`, so an interrupted run never leaves a half-written file that looks whole.
/// Dropping it without committing removes the temporary file.
final class AtomicFile {
    let finalPath: String
    private let temporaryPath: String
    private var fd: Int32

    init(path: String) throws {
        finalPath = path
        let url = URL(fileURLWithPath: path)
        // Same folder as the target: rename(2) is atomic only within one file system.
        temporaryPath = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CheckpointError.io(path: path, operation: "create a temporary file beside", reason: errnoDescription(errno))
        }
    }

    /// Writes all `count` bytes, retrying short writes and interruptions.
    func write(_ bytes: UnsafeRawPointer, count: Int) throws {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, bytes + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError.io(path: finalPath, operation: "write", reason: errnoDescription(errno))
            }
            done += n
        }
    }

    func write(_ data: [UInt8]) throws {
        try data.withUnsafeBytes { if $0.count > 0 { try write($0.baseAddress!, count: $0.count) } }
    }

    /// Flushes the data to disk, then renames the file into place.
    func commit() throws {
        // fsync before rename: otherwise a crash could leave the new name pointing at an empty file.
        guard fsync(fd) == 0 else { throw CheckpointError.io(path: finalPath, operation: "flush", reason: errnoDescription(errno)) }
        let result = close(fd)
        fd = -1
        guard result == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw CheckpointError.io(path: finalPath, operation: "close", reason: errnoDescription(code))
        }
        guard rename(temporaryPath, finalPath) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw CheckpointError.io(path: finalPath, operation: "rename the finished file into place as", reason: errnoDescription(code))
        }
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporaryPath)
        }
    }
}
