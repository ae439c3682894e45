import Foundation
import SingleCell

extension PromptDataset {
    /// Reads the prompt file at `path` one line at a time (`TextFileLines`, 4 MiB reads),
    /// handing each record to `body` in file order, with the checks and messages of
    /// `init(path:)`: memory does not grow with the file.
    public static func forEachRecord(path: String, _ body: (PromptRecord) throws -> Void) throws {
        var records = 0
        try forEachRecord(path: path, share: TextFileShare(bytes: 0..<UInt64.max, firstLine: 1)) {
            try body($0)
            records += 1
        }
        guard records > 0 else { throw noRecords(path) }
    }

    /// The records of one share of the prompt file (`TextFileShare`), with the line numbers
    /// of the whole file; a share may hold none.
    public static func forEachRecord(path: String, share: TextFileShare, _ body: (PromptRecord) throws -> Void) throws {
        try TextFileLines.forEach(path: path, share: share) { text, number in
            try body(try parse(Substring(text), number: number, path: path))
        }
    }

    /// The first record of the prompt file, or nil when it has none.
    public static func firstRecord(path: String) throws -> PromptRecord? {
        struct Found: Error { let record: PromptRecord }
        do {
            try forEachRecord(path: path, share: TextFileShare(bytes: 0..<UInt64.max, firstLine: 1)) { throw Found(record: $0) }
        } catch let found as Found {
            return found.record
        }
        return nil
    }

    /// The error for a prompt file without records.
    static func noRecords(_ path: String) -> FileError {
        FileError(path, "has no examples (expected JSON lines from 'c2s prompts')")
    }
}
