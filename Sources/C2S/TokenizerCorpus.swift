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
public enum TokenizerCorpus {
    public static let promptFields = ["model_input", "response"]

    /// Whether `path` is a sentence dataset folder.
    public static func isDataset(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }

    public static func read(_ path: String, fields: [String]?) throws -> [String] {
        var file = path
        var wanted = fields ?? promptFields
        if isDataset(path) {
            file = URL(fileURLWithPath: path).appendingPathComponent("cells.jsonl").path
            wanted = fields ?? ["cell_sentence"]
        }
        guard let data = FileManager.default.contents(atPath: file) else { throw FileError(file, "cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw FileError(file, "is not UTF-8 text") }
        var texts: [String] = []
        // "\r\n" is one Character in Swift: split on both spellings of a line end.
        for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let first = line.first(where: { $0 != " " && $0 != "\t" })
            guard first == "{" || first == "\"" else { texts.append(String(line)); continue }
            guard let value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: .fragmentsAllowed) else {
                throw FileError(file, "line \(n + 1): not valid JSON")
            }
            if let s = value as? String { texts.append(s); continue }
            guard let object = value as? [String: Any] else { throw FileError(file, "line \(n + 1): expected a JSON object or string") }
            var parts: [String] = []
            for field in wanted {
                guard let s = object[field] as? String else {
                    throw FileError(file, "line \(n + 1): no string field \"\(field)\" (fields used: \(wanted.joined(separator: ",")); the line has \(object.keys.sorted().joined(separator: ", ")))")
                }
                parts.append(s)
            }
            texts.append(parts.joined(separator: PromptFormat.separator))
        }
        guard !texts.isEmpty else { throw FileError(file, "has no text to train on") }
        return texts
    }
}
