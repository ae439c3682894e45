import Foundation

/// Tokenized training examples kept on disk: their tokens appended to an unlinked temporary
/// file, and in memory only a compact index (offset, length, loss start and task of each
/// example: 17 bytes), so a training set of millions of examples costs its index, not its
/// tokens (a 120-token example held as a `TrainingExample` costs ~550 bytes).
///
/// The file is unlinked as soon as it is created: it needs no cleaning up, whatever way the
/// process ends, and nothing is left in the temporary folder (`TMPDIR`, or /tmp). Examples are
/// read back with `pread`, one micro-batch at a time, or sequentially in 4 MiB chunks.
public final class TokenizedExampleFile: TrainingExampleSource, @unchecked Sendable {
    private let descriptor: Int32
    /// Where the file was created (it no longer has a name), for messages.
    public let folder: String
    private var offsets: [UInt64] = []
    private var lengths: [UInt32] = []
    private var lossStarts: [UInt32] = []
    private var taskIDs: [UInt8] = []
    /// Task names by id (id 0 is "no task").
    private var taskNames: [String?] = [nil]
    private var taskIndex: [String: UInt8] = [:]
    private var written: UInt64 = 0
    private var pending: [Int32] = []

    /// Creates the (unlinked) file in `folder` (default: `TMPDIR` or /tmp).
    public init(folder: String? = nil) throws {
        let folder = folder ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        self.folder = folder
        var template = Array(((folder as NSString).appendingPathComponent("c2s-examples-XXXXXX")).utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw CheckpointError.io(path: folder, operation: "create a file in", reason: String(cString: strerror(errno)))
        }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        descriptor = fd
    }

    deinit { close(descriptor) }

    public var count: Int { lengths.count }
    public func length(_ i: Int) -> Int { Int(lengths[i]) }
    public func targetCount(_ i: Int) -> Int { Int(lengths[i]) - Int(lossStarts[i]) }

    /// Bytes of tokens on disk.
    public var tokenBytes: UInt64 { (written + UInt64(pending.count)) * 4 }

    /// Appends an example (buffered; `finish` writes the rest).
    public func append(_ e: TrainingExample) throws {
        var id: UInt8 = 0
        if let task = e.task {
            if let known = taskIndex[task] {
                id = known
            } else {
                guard taskNames.count < 256 else { throw TrainingError.invalidInput("more than 255 distinct tasks in one training set") }
                id = UInt8(taskNames.count)
                taskIndex[task] = id
                taskNames.append(task)
            }
        }
        offsets.append(written + UInt64(pending.count))
        lengths.append(UInt32(e.tokens.count))
        lossStarts.append(UInt32(e.lossStart))
        taskIDs.append(id)
        pending += e.tokens
        if pending.count >= 1 << 20 { try flush() }
    }

    /// Writes what is buffered; call once every example is appended.
    public func finish() throws { try flush() }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t((written * 4) + UInt64(done)))
                guard n > 0 else {
                    throw CheckpointError.io(path: folder, operation: "write tokenized examples to a temporary file in",
                                             reason: n < 0 ? String(cString: strerror(errno)) : "no space left")
                }
                done += n
            }
        }
        written += UInt64(pending.count)
        pending.removeAll(keepingCapacity: true)
    }

    private func read(into buffer: UnsafeMutableRawBufferPointer, at token: UInt64) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(token * 4) + off_t(done))
            guard n > 0 else {
                throw CheckpointError.io(path: folder, operation: "read tokenized examples back from a temporary file in",
                                         reason: n < 0 ? String(cString: strerror(errno)) : "the file is shorter than written")
            }
            done += n
        }
    }

    private func make(_ i: Int, tokens: [Int32]) -> TrainingExample {
        TrainingExample(tokens: tokens, lossStart: Int(lossStarts[i]), task: taskNames[Int(taskIDs[i])])
    }

    public func example(_ i: Int) throws -> TrainingExample {
        precondition(pending.isEmpty, "call finish() before reading")
        var tokens = [Int32](repeating: 0, count: Int(lengths[i]))
        try tokens.withUnsafeMutableBytes { try read(into: $0, at: offsets[i]) }
        return make(i, tokens: tokens)
    }

    public func forEachExample(_ body: (TrainingExample) throws -> Void) throws {
        precondition(pending.isEmpty, "call finish() before reading")
        let chunk = 1 << 20
        var buffer = [Int32](repeating: 0, count: chunk)
        var start: UInt64 = 0, filled = 0
        for i in 0..<count {
            let n = Int(lengths[i]), at = offsets[i]
            if at + UInt64(n) > start + UInt64(filled) {
                // Refill from this example on (an example longer than the chunk reads alone).
                start = at
                filled = min(max(chunk, n), Int(written - at))
                if buffer.count < filled { buffer = [Int32](repeating: 0, count: filled) }
                try buffer.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(filled * 4)]), at: start) }
            }
            let first = Int(at - start)
            try body(make(i, tokens: Array(buffer[first..<(first + n)])))
        }
    }
}
