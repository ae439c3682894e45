import Foundation
import SingleCell

/// Reading a text file one line at a time with fixed-size reads, so memory does not grow with
/// the file: the one line reader behind prompt datasets and tokenizer corpora.
public enum TextFileLines {
    /// Bytes asked of the file per read.
    public static let defaultBlockSize = 4 << 20

    /// Hands each line that is not blank (only spaces, tabs or carriage returns) to `body`,
    /// without its line end (`\n` or `\r\n`), with its 1-based line number, in file order.
    /// A line that is not UTF-8 is an error naming the file and line; so is a file that cannot
    /// be read. `blockSize` is the size of each read (smaller in tests, to cut lines across reads).
    public static func forEach(path: String, blockSize: Int = defaultBlockSize, _ body: (String, Int) throws -> Void) throws {
        try forEach(path: path, share: TextFileShare(bytes: 0..<UInt64.max, firstLine: 1), blockSize: blockSize, body)
    }

    /// As `forEach(path:)`, for the lines of one share of the file: those whose first byte lies
    /// in `share.bytes`, numbered from `share.firstLine` (the shares of `TextFileShare.divide`
    /// together hand over every line once, with the numbers the whole file gives them).
    public static func forEach(path: String, share: TextFileShare, blockSize: Int = defaultBlockSize,
                               _ body: (String, Int) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(path, "cannot be read") }
        defer { try? handle.close() }
        func read() throws -> Data {
            do { return try handle.read(upToCount: max(1, blockSize)) ?? Data() } catch {
                throw FileError(path, "cannot be read (\(error.localizedDescription))")
            }
        }
        var carry: [UInt8] = []
        // The file offset of carry's first byte.
        var offset = share.bytes.lowerBound
        if offset > 0 {
            // A line starts where the byte before it is a line end: find the first such start
            // at or after the share's first byte.
            do { try handle.seek(toOffset: offset - 1) } catch { throw FileError(path, "cannot be read (\(error.localizedDescription))") }
            offset -= 1
            while true {
                let chunk = try read()
                if chunk.isEmpty { return }
                if let newline = chunk.firstIndex(of: UInt8(ascii: "\n")) {
                    let after = chunk.index(after: newline)
                    carry = Array(chunk[after...])
                    offset += UInt64(after - chunk.startIndex)
                    break
                }
                offset += UInt64(chunk.count)
            }
        }
        var number = share.firstLine - 1
        func line(_ bytes: ArraySlice<UInt8>) throws {
            number += 1
            var end = bytes.endIndex
            if end > bytes.startIndex, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let content = bytes[bytes.startIndex..<end]
            if content.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { return }
            guard let text = String(validating: content, as: UTF8.self) else { throw FileError(path, "is not UTF-8 text (line \(number))") }
            try body(text, number)
        }
        var atEnd = false
        while !atEnd {
            var start = carry.startIndex
            while let newline = carry[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if offset + UInt64(start) >= share.bytes.upperBound { return }
                try line(carry[start..<newline])
                start = newline + 1
            }
            offset += UInt64(start)
            carry.removeSubrange(..<start)
            let chunk = try read()
            if chunk.isEmpty { atEnd = true } else { carry += chunk }
        }
        if !carry.isEmpty && offset < share.bytes.upperBound { try line(carry[...]) }
    }

    /// Line ends (`\n`) among the bytes `range` of the file (clamped to its size).
    public static func lineEnds(path: String, in range: Range<UInt64>, blockSize: Int = defaultBlockSize) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(path, "cannot be read") }
        defer { try? handle.close() }
        do { try handle.seek(toOffset: range.lowerBound) } catch { throw FileError(path, "cannot be read (\(error.localizedDescription))") }
        var left = range.upperBound - range.lowerBound, count = 0
        while left > 0 {
            let chunk: Data
            do { chunk = try handle.read(upToCount: Int(min(UInt64(max(1, blockSize)), left))) ?? Data() } catch {
                throw FileError(path, "cannot be read (\(error.localizedDescription))")
            }
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { bytes in
                for b in bytes where b == UInt8(ascii: "\n") { count += 1 }
            }
            left -= UInt64(chunk.count)
        }
        return count
    }
}

/// One part of a text file's lines, for dividing a file among processes: the lines whose
/// first byte lies in `bytes` (a line starts at byte 0 and after every `\n`), the first of them
/// numbered `firstLine`, as it is in the whole file.
public struct TextFileShare: Sendable, Equatable {
    public var bytes: Range<UInt64>
    public var firstLine: Int

    public init(bytes: Range<UInt64>, firstLine: Int) {
        self.bytes = bytes
        self.firstLine = firstLine
    }

    /// Part `part` of `parts` equal byte ranges of a file of `size` bytes.
    public static func bytes(part: Int, of parts: Int, size: UInt64) -> Range<UInt64> {
        precondition(parts >= 1 && part >= 0 && part < parts)
        func edge(_ k: Int) -> UInt64 { UInt64((Double(size) * Double(k) / Double(parts)).rounded(.down)) }
        return (part == 0 ? 0 : edge(part))..<(part == parts - 1 ? size : edge(part + 1))
    }

    /// The line ends a part must count so that the parts' counts, summed over the parts before
    /// one, number that part's first line: those among the bytes just before each of its own
    /// (a line starts after a line end, so part k's first line follows the line ends among
    /// bytes 0 ..< start − 1, plus the one at start − 1 if there is one).
    public static func countedLineEnds(of bytes: Range<UInt64>) -> Range<UInt64> {
        (bytes.lowerBound == 0 ? 0 : bytes.lowerBound - 1)..<(bytes.upperBound == 0 ? 0 : bytes.upperBound - 1)
    }

    /// The first line number of a part whose earlier parts counted `lineEndsBefore` line ends
    /// (`countedLineEnds`): 1 for the first part; else the lines starting before its first byte
    /// (one, plus one per line end before the byte before it), plus one.
    public static func firstLine(start: UInt64, lineEndsBefore: Int) -> Int {
        start == 0 ? 1 : lineEndsBefore + 2
    }
}
