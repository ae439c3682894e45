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
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(path, "cannot be read") }
        defer { try? handle.close() }
        var carry: [UInt8] = []
        var number = 0
        func line(_ bytes: ArraySlice<UInt8>) throws {
            number += 1
            var end = bytes.endIndex
            if end > bytes.startIndex, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let content = bytes[bytes.startIndex..<end]
            if content.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { return }
            guard let text = String(validating: content, as: UTF8.self) else { throw FileError(path, "is not UTF-8 text (line \(number))") }
            try body(text, number)
        }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: max(1, blockSize)) ?? Data() } catch { throw FileError(path, "cannot be read (\(error.localizedDescription))") }
            if chunk.isEmpty { break }
            carry += chunk
            var start = carry.startIndex
            while let newline = carry[start...].firstIndex(of: UInt8(ascii: "\n")) {
                try line(carry[start..<newline])
                start = newline + 1
            }
            carry.removeSubrange(..<start)
        }
        if !carry.isEmpty { try line(carry[...]) }
    }
}
