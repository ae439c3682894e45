import Foundation

/// Text prompts from a file: JSON lines whose model_input, prompt or text field (or the line
/// itself, when it is a JSON string) is the prompt, or plain text lines.
public enum PromptFile {
    /// The prompts of `path`, in order; blank lines are skipped. Errors name the file and line:
    /// unreadable, a JSON line that does not parse or has no prompt field, no prompts at all.
    public static func read(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.input("\(path): cannot be read") }
        var result: [String] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let first = text.first(where: { !$0.isWhitespace })
            if first == "{" || first == "\"" {
                guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) else {
                    throw ModelError.input("\(path):\(n + 1): not valid JSON")
                }
                if let s = value as? String { result.append(s); continue }
                guard let object = value as? [String: Any],
                      let prompt = ["model_input", "prompt", "text"].lazy.compactMap({ object[$0] as? String }).first else {
                    throw ModelError.input("\(path):\(n + 1): a JSON line needs a model_input, prompt or text field")
                }
                result.append(prompt)
            } else {
                result.append(text)
            }
        }
        guard !result.isEmpty else { throw ModelError.input("\(path): no prompts") }
        return result
    }

    /// Whole training examples of a JSONL prompt file: model_input + " " + response of each
    /// line (teacher forcing over prompt and response). Errors name the line lacking either field.
    public static func examples(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.input("\(path): cannot be read") }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated().map { n, line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let input = object["model_input"] as? String, let response = object["response"] as? String else {
                throw ModelError.input("\(path):\(n + 1): --with-response needs model_input and response fields")
            }
            return input + " " + response
        }
    }
}
