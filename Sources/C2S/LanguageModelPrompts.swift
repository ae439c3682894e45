import Foundation
import Transformer

/// Where the prompts of `c2s lm generate` and `lm embed` come from: texts given one by one, a
/// prompt file (`PromptFile`: text lines or JSONL), or a file of token ids (`TokenIDFile`).
public enum LanguageModelPrompts: Sendable {
    case texts([String])
    case file(String)
    case tokenIDs(String)

    /// The file read, if any: an output must never replace it.
    public var path: String? {
        switch self {
        case .texts: nil
        case .file(let path), .tokenIDs(let path): path
        }
    }

    /// Whether the prompts are text, which needs the model's tokenizer.
    public var isText: Bool {
        if case .tokenIDs = self { return false }
        return true
    }

    /// The prompts as token ids: token-id files checked against the model's `vocabularySize`,
    /// texts encoded with `tokenizer` (with its special tokens).
    public func tokenIDs(vocabularySize: Int, tokenizer: Tokenizer?) throws -> [[Int32]] {
        func required() throws -> Tokenizer {
            guard let tokenizer else { throw ModelError.input("text prompts need the model's tokenizer") }
            return tokenizer
        }
        switch self {
        case .tokenIDs(let path): return try TokenIDFile.read(path, vocabularySize: vocabularySize)
        case .texts(let texts): return try required().encodeBatch(texts)
        case .file(let path): return try required().encodeBatch(try PromptFile.read(path))
        }
    }
}
