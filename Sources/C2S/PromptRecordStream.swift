import Foundation
import SingleCell

extension PromptDataset {
    /// Reads the prompt file at `path` one line at a time (`TextFileLines`, 4 MiB reads),
    /// handing each record to `body` in file order, with the checks and messages of
    /// `init(path:)`: memory does not grow with the file.
    public static func forEachRecord(path: String, _ body: (PromptRecord) throws -> Void) throws {
        var records = 0
        try TextFileLines.forEach(path: path) { text, number in
            try body(try parse(Substring(text), number: number, path: path))
            records += 1
        }
        guard records > 0 else { throw FileError(path, "has no examples (expected JSON lines from 'c2s prompts')") }
    }
}
