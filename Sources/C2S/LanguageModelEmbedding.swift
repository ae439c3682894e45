import Foundation
import Mechanics
import SingleCell
import Transformer

/// What `c2s lm embed` runs besides the model.
public struct LanguageModelEmbeddingSettings: Sendable {
    public var prompts: LanguageModelPrompts
    public var pooling = Pooling.mean
    /// Most tokens fed through the model in one pass (bounds activation memory).
    public var maxTokensPerPass = 8192
    /// The JSONL file to write; nil: standard output.
    public var output: String?
    public var overwrite = false

    public init(prompts: LanguageModelPrompts) {
        self.prompts = prompts
    }
}

/// How an embedding run went.
public struct LanguageModelEmbeddingResult: Sendable {
    public var sequences: Int
    /// The length of each vector (the model's hidden size).
    public var dimensions: Int
}

/// Embedding sequences with a language model's final hidden states, one JSON line per
/// sequence: the workflow behind `c2s lm embed`.
public enum LanguageModelEmbedding {
    /// Reads the sequences (text with `folder`'s tokenizer), embeds them all, then writes
    /// `{"index":…,"embedding":[…]}` lines.
    @discardableResult
    public static func run(model: any CausalLanguageModel, folder: LanguageModelFolder,
                           settings s: LanguageModelEmbeddingSettings) throws -> LanguageModelEmbeddingResult {
        let tokenizer = s.prompts.isText ? try folder.tokenizer() : nil
        let ids = try s.prompts.tokenIDs(vocabularySize: model.info.vocabularySize, tokenizer: tokenizer)
        let vectors = try Embedder(model: model).embed(ids, pooling: s.pooling, maxTokensPerPass: s.maxTokensPerPass)
        let out = try LineOutput(path: s.output, overwrite: s.overwrite, inputs: [s.prompts.path])
        for (i, v) in vectors.enumerated() { try out.write(jsonLine(index: i, embedding: v)) }
        try out.commit()
        return LanguageModelEmbeddingResult(sequences: vectors.count, dimensions: model.info.hiddenSize)
    }

    /// One line of the output.
    public static func jsonLine(index: Int, embedding: [Float]) -> String {
        JSONLine.object([("index", .int(index)), ("embedding", .doubles(embedding))])
    }
}
