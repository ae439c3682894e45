import Foundation
import SingleCell
import Transformer

/// Settings of cell sentence generation.
public struct SentenceGenerationOptions: Sendable {
    /// Genes per sentence: generation stops once the sentence has this many words.
    public var numGenes = 200
    /// Only genes of the vocabulary, each at most once (`GeneWords`); false reproduces the
    /// reference's free generation.
    public var constrained = true
    /// The paper's sampling: top-k 50, top-p 0.95.
    public var sampling = SamplingOptions(sample: true, temperature: 1, topK: 50, topP: 0.95)
    public var seed: UInt64 = 0
    /// Token budget per sentence (nil: up to the model's context).
    public var maxNewTokens: Int?
    /// Constrained generation: the end token is forbidden until the sentence has this many
    /// genes (or the vocabulary is used up), so a model that learnt short answers still writes
    /// as many genes as asked. 0 lets the model end where it likes.
    public var minGenes = 0
    public var batchSize = 16
    public var maxTokensPerPass = 8192
    /// Classifier-free guidance scale γ (1: off): each step samples from u + γ (c − u) of the
    /// log-probabilities after the input and after its unconditional twin (`Guidance`), so
    /// that the condition keeps shaping the sentence after its first genes.
    public var guidance: Float = 1

    public init() {}
}

/// One generated sentence.
public struct GeneratedSentence: Sendable, Equatable {
    /// Gene names separated by single spaces.
    public var sentence: String
    public var tokens: Int
    /// `eos` (the model ended it), `num_genes` (it reached the genes asked for) or `length`
    /// (token budget or context used up).
    public var finishReason: String
}

/// Generates cell sentences from model inputs, a batch at a time. Prompt `i` of a call with
/// `firstIndex` samples from random stream `firstIndex + i`, so a sentence does not depend on
/// batching or chunking.
public struct SentenceGenerator: Sendable {
    public let model: C2SModel
    public let genes: GeneWords?
    public let options: SentenceGenerationOptions
    let words: WordStarts

    /// `genes` is required when `options.constrained`.
    public init(model: C2SModel, genes: GeneWords?, options: SentenceGenerationOptions) throws {
        guard !options.constrained || genes != nil else { throw DataError("constrained generation needs the model's gene vocabulary") }
        guard options.numGenes >= 1, options.batchSize >= 1 else { throw DataError("genes per cell and batch size must be at least 1") }
        if let m = options.maxNewTokens, m < 1 { throw DataError("the token budget must be at least 1") }
        guard options.minGenes >= 0 else { throw DataError("the minimum number of genes must be at least 0") }
        guard options.guidance > 0, options.guidance.isFinite else { throw DataError("the guidance scale must be a positive number, got \(options.guidance)") }
        try options.sampling.validate()
        self.model = model
        self.genes = genes
        self.options = options
        words = WordStarts(tokenizer: model.tokenizer, vocabularySize: model.language.info.vocabularySize)
    }

    /// `unconditional` holds each input's unconditional twin; it is needed (and only used)
    /// when `options.guidance` is not 1.
    public func generate(_ inputs: [String], firstIndex: Int, unconditional: [String]? = nil) throws -> [GeneratedSentence] {
        let prompts = model.tokenizer.encodeBatch(inputs)
        var twins: [[Int32]] = []
        if options.guidance != 1 {
            guard let unconditional, unconditional.count == inputs.count else {
                throw DataError("guidance needs one unconditional input per input")
            }
            twins = model.tokenizer.encodeBatch(unconditional)
        }
        var out: [GeneratedSentence] = []
        out.reserveCapacity(prompts.count)
        var g = GenerationOptions(maxNewTokens: options.maxNewTokens ?? model.language.info.contextLength, sampling: options.sampling,
                                  seed: options.seed, stopTokenIDs: model.stopTokens)
        g.maxTokensPerPass = options.maxTokensPerPass
        if options.constrained, var constraint = genes?.constraint {
            constraint.minWords = min(options.minGenes, options.numGenes)
            g.constraint = constraint
        }
        let n = options.numGenes
        for start in stride(from: 0, to: prompts.count, by: options.batchSize) {
            let range = start..<min(prompts.count, start + options.batchSize)
            let batch = Array(prompts[range])
            if !twins.isEmpty { g.guidance = Guidance(unconditionalPrompts: Array(twins[range]), scale: options.guidance) }
            // Words begun so far per sequence; stop when word n + 1 begins.
            let counts = Counter(batch.count)
            let words = self.words
            let results = try Generator(model: model.language).generate(prompts: batch, options: g, firstIndex: firstIndex + start, stop: { i, tokens in
                if let last = tokens.last, words.starts(last) { counts.values[i] += 1 }
                return counts.values[i] > n
            })
            for r in results {
                var tokens = r.tokens
                var reason = r.finishReason.rawValue
                if let cut = words.cut(tokens, afterWords: n) {
                    tokens.removeSubrange(cut...)
                    reason = "num_genes"
                }
                // Free text may hold words that no token starts (a newline, a token with a space
                // inside): the sentence is the first n words of the text, whatever the tokens.
                var words = model.tokenizer.decode(tokens, skipSpecialTokens: true).split(whereSeparator: \.isWhitespace)
                if words.count > n {
                    words.removeSubrange(n...)
                    reason = "num_genes"
                }
                out.append(GeneratedSentence(sentence: words.joined(separator: " "), tokens: tokens.count, finishReason: reason))
            }
        }
        return out
    }

    final class Counter: @unchecked Sendable {
        var values: [Int]
        init(_ n: Int) { values = [Int](repeating: 0, count: n) }
    }
}
