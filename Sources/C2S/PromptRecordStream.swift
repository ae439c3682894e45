import Foundation
import SingleCell

extension PromptDataset {
    /// Reads the prompt file at `path` one line at a time (4 MiB reads), handing each record to
    /// `body` in file order, with the checks and messages of `init(path:)`: memory does not grow
    /// with the file.
    public static func forEachRecord(path: String, _ body: (PromptRecord) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(path, "cannot be read") }
        defer { try? handle.close() }
        var carry: [UInt8] = []
        var number = 0, records = 0
        func line(_ bytes: ArraySlice<UInt8>) throws {
            number += 1
            var end = bytes.endIndex
            if end > bytes.startIndex, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let content = bytes[bytes.startIndex..<end]
            if content.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { return }
            guard let text = String(validating: content, as: UTF8.self) else { throw FileError(path, "is not UTF-8 text (line \(number))") }
            try body(try parse(Substring(text), number: number, path: path))
            records += 1
        }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 4 << 20) ?? Data() } catch { throw FileError(path, "cannot be read (\(error.localizedDescription))") }
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
        guard records > 0 else { throw FileError(path, "has no examples (expected JSON lines from 'c2s prompts')") }
    }
}
