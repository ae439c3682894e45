import Foundation
import Mechanics

/// Reads a text file (gzip-compressed or not) in large blocks of whole lines, so that the lines
/// of a block can be parsed in parallel where they lie, with no copy per line. The next block
/// is read on a background thread while the caller works on the current one, into one of two
/// buffers that are reused.
public final class LineBlockReader {
    /// The file as the caller named it (used in error messages).
    public let path: String
    private let reader: GzipLineReader
    private let blockSize: Int

    /// Opens `path`; blocks hold at least `blockSize` bytes (more when a line is longer).
    /// Throws a `FileError` when the file is missing, is a folder or cannot be read.
    public init(path: String, blockSize: Int = 8 << 20) throws {
        self.path = path
        reader = try GzipLineReader(path: path, bufferSize: 64)
        self.blockSize = max(blockSize, 64)
    }

    /// One block: `bytes` are whole lines, each ending in "\n" except perhaps the last line of
    /// the file; `firstLine` is the 1-based number of its first line.
    public struct Block {
        public let bytes: UnsafeBufferPointer<UInt8>
        public let firstLine: Int
    }

    /// Calls `body` with each block, in order. A UTF-8 byte-order mark at the start of the file
    /// is left out. The bytes are valid only during the call.
    public func forEachBlock(_ body: (Block) throws -> Void) throws {
        let buffers = [Buffer(capacity: blockSize), Buffer(capacity: blockSize)]
        let queue = DispatchQueue(label: "c2s.line-block-reader")
        let group = DispatchGroup()
        let box = FillResult()
        let shared = UncheckedSendable((self, buffers, box))
        var current = 0
        var fill = try fill(buffers[0], carry: nil, firstLine: 1, isStart: true)
        while fill.end > 0 {
            // Read the next block (after this block's unfinished last line) while `body` runs.
            let next = 1 - current, cut = fill
            group.enter()
            queue.async {
                let (reader, buffers, box) = shared.value
                box.result = Result {
                    try reader.fill(buffers[next], carry: UnsafeBufferPointer(start: buffers[1 - next].base + cut.end,
                                                                                count: cut.filled - cut.end),
                                    firstLine: cut.firstLine + cut.lines, isStart: false)
                }
                group.leave()
            }
            defer { group.wait() }
            try body(Block(bytes: UnsafeBufferPointer(start: buffers[current].base, count: fill.end), firstLine: fill.firstLine))
            group.wait()
            fill = try box.result!.get()
            current = next
        }
    }

    /// A reusable buffer.
    final class Buffer: @unchecked Sendable {
        var base: UnsafeMutablePointer<UInt8>
        var capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(capacity: capacity)
        }

        func grow() {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: base, count: capacity)
            base.deallocate()
            base = bigger
            capacity *= 2
        }

        deinit { base.deallocate() }
    }

    /// What a fill left in its buffer: lines in `0..<end` (`lines` of them, the first numbered
    /// `firstLine`), then the start of an unfinished line up to `filled`.
    struct Fill {
        var end: Int
        var filled: Int
        var lines: Int
        var firstLine: Int
    }

    private final class FillResult: @unchecked Sendable {
        var result: Result<Fill, Error>?
    }

    /// Puts `carry` and then file data into `buffer` until it holds at least `blockSize` bytes
    /// and one whole line (or the file ends).
    private func fill(_ buffer: Buffer, carry: UnsafeBufferPointer<UInt8>?, firstLine: Int, isStart: Bool) throws -> Fill {
        var filled = 0
        if let carry, carry.count > 0 {
            while buffer.capacity < carry.count { buffer.grow() }
            buffer.base.update(from: carry.baseAddress!, count: carry.count)
            filled = carry.count
        }
        var atEOF = false
        var lastNewline = -1
        var searched = 0
        while true {
            while !atEOF && filled < blockSize {
                if filled == buffer.capacity { buffer.grow() }
                let n = try reader.readBytes(into: buffer.base + filled, count: buffer.capacity - filled)
                if n == 0 { atEOF = true } else { filled += n }
            }
            if isStart, filled >= 3, buffer.base[0] == 0xef, buffer.base[1] == 0xbb, buffer.base[2] == 0xbf, searched == 0 {
                buffer.base.update(from: buffer.base + 3, count: filled - 3)
                filled -= 3
            }
            if atEOF { break }
            // The last line break so far; without one the line is longer than the buffer.
            if let at = (searched..<filled).reversed().first(where: { buffer.base[$0] == 0x0a }) {
                lastNewline = at
                break
            }
            searched = filled
            if filled == buffer.capacity { buffer.grow() }
            let n = try reader.readBytes(into: buffer.base + filled, count: buffer.capacity - filled)
            if n == 0 { atEOF = true } else { filled += n }
        }
        let end = atEOF ? filled : lastNewline + 1
        var lines = 0
        var at = 0
        while at < end, let p = memchr(buffer.base + at, 0x0a, end - at) {
            lines += 1
            at = p.assumingMemoryBound(to: UInt8.self) - buffer.base + 1
        }
        if at < end { lines += 1 }  // the file's last line, without a line break
        return Fill(end: end, filled: filled, lines: lines, firstLine: firstLine)
    }
}
