import Foundation
import Mechanics
import SingleCell
import Transformer

/// What `c2s lm tokenize` encodes, with what, and where to.
public struct TextTokenizationSettings: Sendable {
    /// The texts (`PromptFile`: JSON strings, JSON objects with a model_input, prompt or text
    /// field, or plain lines).
    public var input: String
    /// The folder with `tokenizer.json` (and `tokenizer_config.json`).
    public var tokenizer: String
    /// Add the special tokens the tokenizer's post-processor adds (BOS/EOS).
    public var addSpecialTokens = true
    /// The JSONL file to write; nil: standard output.
    public var output: String?
    public var overwrite = false

    public init(input: String, tokenizer: String) {
        self.input = input
        self.tokenizer = tokenizer
    }
}

/// Encoding texts with a model's tokenizer, one JSON array of token ids per line (what
/// `c2s lm generate --prompt-ids` reads): the workflow behind `c2s lm tokenize`.
public enum TextTokenization {
    /// Encodes every text (in parallel) and writes the lines. Returns the number of texts.
    @discardableResult
    public static func run(settings s: TextTokenizationSettings) throws -> Int {
        let texts = try PromptFile.read(s.input)
        let tokenizer = try Tokenizer.load(folder: URL(fileURLWithPath: s.tokenizer))
        let ids = tokenizer.encodeBatch(texts, addSpecialTokens: s.addSpecialTokens)
        let out = try LineOutput(path: s.output, overwrite: s.overwrite, inputs: [s.input])
        for row in ids { try out.write(JSONLine.array(row)) }
        try out.commit()
        return ids.count
    }
}
