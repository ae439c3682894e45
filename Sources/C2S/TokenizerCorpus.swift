import Foundation
import Prompts
import SingleCell

/// The texts a tokenizer is trained on, read from the files `c2s` writes.
///
/// - A folder is a sentence dataset: each line of its `cells.jsonl` gives the `cell_sentence`
///   field (or the `fields` asked for).
/// - A file of JSON lines (`c2s prompts` output): each object gives its `fields` (default
///   `model_input,response`), joined by `PromptFormat.separator` (one space) — the text a model
///   is trained on. A line that is a JSON string gives that string.
/// - Any other line is a text as it is. Blank lines are skipped.
///
/// Files are streamed (`TextFileLines`): one line at a time, never the whole corpus in memory.
public enum TokenizerCorpus {
    public static let promptFields = ["model_input", "response"]

    /// Whether `path` is a sentence dataset folder.
    public static func isDataset(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// Hands each text of the corpus file or dataset folder at `path` to `body`, in file order.
    /// A malformed line is an error naming the file and line; so is a file without any text.
    public static func forEachText(_ path: String, fields: [String]?, blockSize: Int = TextFileLines.defaultBlockSize,
                                   _ body: (String) throws -> Void) throws {
        var file = path
        var wanted = fields ?? promptFields
        if isDataset(path) {
            file = URL(fileURLWithPath: path).appendingPathComponent("cells.jsonl").path
            wanted = fields ?? ["cell_sentence"]
        }
        var texts = 0
        try TextFileLines.forEach(path: file, blockSize: blockSize) { line, number in
            texts += 1
            let first = line.first(where: { $0 != " " && $0 != "\t" })
            guard first == "{" || first == "\"" else { try body(line); return }
            guard let value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: .fragmentsAllowed) else {
                throw FileError(file, "line \(number): not valid JSON")
            }
            if let s = value as? String { try body(s); return }
            guard let object = value as? [String: Any] else { throw FileError(file, "line \(number): expected a JSON object or string") }
            var parts: [String] = []
            for field in wanted {
                guard let s = object[field] as? String else {
                    throw FileError(file, "line \(number): no string field \"\(field)\" (fields used: \(wanted.joined(separator: ",")); the line has \(object.keys.sorted().joined(separator: ", ")))")
                }
                parts.append(s)
            }
            try body(parts.joined(separator: PromptFormat.separator))
        }
        guard texts > 0 else { throw FileError(file, "has no text to train on") }
    }
}
