import Foundation

/// A temporary file for data too large to hold in memory, created in `TMPDIR` (or /tmp) and
/// unlinked at once: it has no name, so nothing is left behind however the process ends, and
/// its space is returned when it is closed.
public final class ScratchFile {
    private let descriptor: Int32
    /// The folder it lives in, for error messages.
    public let folder: String
    /// Bytes written so far (the next `append` goes here).
    public private(set) var size: Int = 0

    public init(folder: String? = nil) throws {
        let folder = folder ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        self.folder = folder
        var template = Array(((folder as NSString).appendingPathComponent("c2s-scratch-XXXXXX")).utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw FileError(folder, "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Writes `bytes` at the end.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        try transfer(bytes.count, at: size, what: "write to") {
            pwrite(descriptor, bytes.baseAddress! + $0, bytes.count - $0, $1)
        }
        size += bytes.count
    }

    /// Reads `buffer.count` bytes from `offset`.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        precondition(offset + buffer.count <= size)
        try transfer(buffer.count, at: offset, what: "read back") {
            pread(descriptor, buffer.baseAddress! + $0, buffer.count - $0, $1)
        }
    }

    /// Moves `count` bytes with `call(done, position)` until all are done, retrying interruptions.
    private func transfer(_ count: Int, at offset: Int, what: String, _ call: (Int, off_t) -> Int) throws {
        var done = 0
        while done < count {
            let n = call(done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw FileError(folder, "cannot \(what) a temporary file: \(n < 0 ? String(cString: strerror(errno)) : "no space left")")
            }
            done += n
        }
    }
}
