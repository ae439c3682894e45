import Foundation
import Mechanics

/// Tokenized training examples kept on disk: their tokens appended to one unlinked temporary
/// file and a 16-byte index entry per example (token offset, length, loss start, task) to
/// another, so that memory does not depend on the number of examples (a 120-token example
/// held as a `TrainingExample` costs ~550 bytes; here, a few reads per example a step).
///
/// The files are unlinked as soon as they are created: they need no cleaning up, whatever way
/// the process ends, and nothing is left in the temporary folder (`TMPDIR`, or /tmp). Examples
/// are read back with `pread`, one micro-batch at a time, or sequentially in 4 MiB chunks.
public final class TokenizedExampleFile: TrainingExampleSource, @unchecked Sendable {
    private let descriptor: Int32
    private let indexDescriptor: Int32
    /// Where the files were created (they no longer have names), for messages.
    public let folder: String
    /// Examples appended.
    public private(set) var count = 0
    /// Index entries not yet written.
    private var pendingIndex: [IndexEntry] = []
    /// Task names by id (id 0 is "no task").
    private var taskNames: [String?] = [nil]
    private var taskIndex: [String: UInt8] = [:]
    private var written: UInt64 = 0
    private var pending: [Int32] = []

    /// Creates the (unlinked) file in `folder` (default: `TMPDIR` or /tmp).
    public init(folder: String? = nil) throws {
        let folder = folder ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        self.folder = folder
        precondition(MemoryLayout<IndexEntry>.stride == 16, "index entries are 16 bytes on disk")
        descriptor = try Self.unlinkedFile(in: folder)
        do { indexDescriptor = try Self.unlinkedFile(in: folder) } catch {
            close(descriptor)
            throw error
        }
    }

    private static func unlinkedFile(in folder: String) throws -> Int32 {
        var template = Array(((folder as NSString).appendingPathComponent("c2s-examples-XXXXXX")).utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw CheckpointError.io(path: folder, operation: "create a file in", reason: String(cString: strerror(errno)))
        }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        return fd
    }

    deinit {
        close(descriptor)
        close(indexDescriptor)
    }

    /// One example's index entry as stored: 16 bytes.
    struct IndexEntry {
        var offset: UInt64
        var length: UInt32
        /// Loss start in the low 24 bits, task id in the high 8.
        var lossStartAndTask: UInt32
        var lossStart: Int { Int(lossStartAndTask & 0xFF_FFFF) }
        var task: Int { Int(lossStartAndTask >> 24) }
    }

    /// Index entry `i`, read.
    private func entry(_ i: Int) -> IndexEntry {
        precondition(pendingIndex.isEmpty && i >= 0 && i < count, "call finish() before reading; example \(i) of \(count)")
        var e = IndexEntry(offset: 0, length: 0, lossStartAndTask: 0)
        let ok = withUnsafeMutableBytes(of: &e) { (try? read(indexDescriptor, into: $0, at: UInt64(i) * 16)) != nil }
        precondition(ok, "the temporary index of training examples in \(folder) cannot be read back")
        return e
    }

    public func length(_ i: Int) -> Int { Int(entry(i).length) }
    public func targetCount(_ i: Int) -> Int {
        let e = entry(i)
        return Int(e.length) - e.lossStart
    }

    /// The file keeps its task names apart: no example is read.
    public func tasks() throws -> [String] { taskNames.compactMap { $0 }.sorted() }

    /// Every example's length, read in one pass.
    public func allLengths() throws -> [Int] {
        var lengths: [Int] = []
        lengths.reserveCapacity(count)
        try forEachEntry { _, e in lengths.append(Int(e.length)) }
        return lengths
    }

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
        guard e.lossStart < 1 << 24, e.tokens.count < 1 << 31 else {
            throw TrainingError.invalidInput("an example of \(e.tokens.count) tokens is too long to train on")
        }
        pendingIndex.append(IndexEntry(offset: written + UInt64(pending.count), length: UInt32(e.tokens.count),
                                       lossStartAndTask: UInt32(e.lossStart) | (UInt32(id) << 24)))
        count += 1
        pending += e.tokens
        if pending.count >= 1 << 20 || pendingIndex.count >= 1 << 16 { try flush() }
    }

    /// Writes what is buffered; call once every example is appended.
    public func finish() throws { try flush() }

    private func flush() throws {
        try pending.withUnsafeBytes { try write($0, to: descriptor, at: written * 4) }
        written += UInt64(pending.count)
        pending.removeAll(keepingCapacity: true)
        let entries = UInt64(count - pendingIndex.count)
        try pendingIndex.withUnsafeBytes { try write($0, to: indexDescriptor, at: entries * 16) }
        pendingIndex.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32, at offset: UInt64) throws {
        try transfer(bytes.count, at: offset, operation: "write tokenized examples to a temporary file in", short: "no space left") {
            pwrite(fd, bytes.baseAddress! + $0, bytes.count - $0, $1)
        }
    }

    /// Moves `count` bytes at `offset` with `call(done, position)` (a pread or pwrite of the
    /// rest) until all are done, retrying interruptions; `short` is the reason a call that
    /// moves nothing gives.
    private func transfer(_ count: Int, at offset: UInt64, operation: String, short: String, _ call: (Int, off_t) -> Int) throws {
        var done = 0
        while done < count {
            let n = call(done, off_t(offset) + off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw CheckpointError.io(path: folder, operation: operation, reason: n < 0 ? errnoDescription(errno) : short) }
            done += n
        }
    }

    private func read(into buffer: UnsafeMutableRawBufferPointer, at token: UInt64) throws {
        try read(descriptor, into: buffer, at: token * 4)
    }

    private func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws {
        try transfer(buffer.count, at: offset, operation: "read tokenized examples back from a temporary file in",
                     short: "the file is shorter than written") {
            pread(fd, buffer.baseAddress! + $0, buffer.count - $0, $1)
        }
    }

    private func make(_ e: IndexEntry, tokens: [Int32]) -> TrainingExample {
        TrainingExample(tokens: tokens, lossStart: e.lossStart, task: taskNames[e.task])
    }

    public func example(_ i: Int) throws -> TrainingExample {
        precondition(pending.isEmpty, "call finish() before reading")
        let e = entry(i)
        var tokens = [Int32](repeating: 0, count: Int(e.length))
        try tokens.withUnsafeMutableBytes { try read(into: $0, at: e.offset) }
        return make(e, tokens: tokens)
    }

    /// Every index entry in order, read 64 Ki entries (1 MiB) at a time.
    private func forEachEntry(_ body: (Int, IndexEntry) throws -> Void) throws {
        precondition(pendingIndex.isEmpty, "call finish() before reading")
        let chunk = 1 << 16
        var entries = [IndexEntry](repeating: IndexEntry(offset: 0, length: 0, lossStartAndTask: 0), count: chunk)
        var first = 0
        while first < count {
            let n = min(chunk, count - first)
            try entries.withUnsafeMutableBytes { try read(indexDescriptor, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(n * 16)]), at: UInt64(first) * 16) }
            for k in 0..<n { try body(first + k, entries[k]) }
            first += n
        }
    }

    public func forEachExample(_ body: (TrainingExample) throws -> Void) throws {
        precondition(pending.isEmpty, "call finish() before reading")
        let chunk = 1 << 20
        var buffer = [Int32](repeating: 0, count: chunk)
        var start: UInt64 = 0, filled = 0
        try forEachEntry { _, e in
            let n = Int(e.length), at = e.offset
            if at + UInt64(n) > start + UInt64(filled) {
                // Refill from this example on (an example longer than the chunk reads alone).
                start = at
                filled = min(max(chunk, n), Int(written - at))
                if buffer.count < filled { buffer = [Int32](repeating: 0, count: filled) }
                try buffer.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(filled * 4)]), at: start) }
            }
            let first = Int(at - start)
            try body(make(e, tokens: Array(buffer[first..<(first + n)])))
        }
    }
}
