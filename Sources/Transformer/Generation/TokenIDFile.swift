import Foundation

/// Token-id prompts: a file of JSON arrays of integers, one per line.
public enum TokenIDFile {
    /// The prompts of a token-id file; each id must lie in `0..<vocabularySize` when given (and
    /// in Int32 always: a larger id once wrapped silently to a small one). Errors name the file
    /// and line.
    public static func read(_ path: String, vocabularySize: Int? = nil) throws -> [[Int32]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.input("\(path): cannot be read") }
        var result: [[Int32]] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any],
                  let ids = array as? [Int] else {
                throw ModelError.input("\(path):\(n + 1): expected a JSON array of token ids")
            }
            let limit = vocabularySize ?? Int(Int32.max) + 1
            if let bad = ids.first(where: { $0 < 0 || $0 >= limit }) {
                throw ModelError.input("\(path):\(n + 1): token id \(bad) is outside the \(vocabularySize.map { "model's vocabulary (size \($0))" } ?? "range of token ids")")
            }
            result.append(ids.map { Int32($0) })
        }
        guard !result.isEmpty else { throw ModelError.input("\(path): no prompts") }
        return result
    }
}
