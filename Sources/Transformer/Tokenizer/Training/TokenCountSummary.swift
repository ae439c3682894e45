import Foundation

/// How many tokens a tokenizer spends on a corpus: per example, and per gene occurrence.
///
/// A gene occurrence is a whitespace-separated word of a text that is in the gene list (after
/// dropping trailing ".,;:" — "Cell sentence: ... B2M." ends with a gene). Its tokens are
/// counted by encoding it as it appears, with the space before it when there is one (" B2M"),
/// else bare. With a byte-level pre-tokenizer this equals its share of the text's encoding: the
/// GPT-2 pattern never joins a word with the space before it to anything before that space,
/// and gene tokens are matched whole.
public struct TokenCountSummary: Sendable, Equatable {
    public var examples = 0
    /// Tokens of all examples (without special tokens).
    public var tokens = 0
    public var geneOccurrences = 0
    /// Tokens spent on gene occurrences.
    public var geneTokens = 0

    public var tokensPerExample: Double { examples == 0 ? 0 : Double(tokens) / Double(examples) }
    /// nil when the corpus has no gene occurrences (or no gene list was given).
    public var tokensPerGene: Double? { geneOccurrences == 0 ? nil : Double(geneTokens) / Double(geneOccurrences) }

    public init() {}

    /// The summary of `texts` held in memory.
    public static func measure(_ tokenizer: Tokenizer, texts: [String], genes: Set<String>?) -> TokenCountSummary {
        var measurement = TokenCountMeasurement(tokenizer: tokenizer, genes: genes)
        measurement.add(texts)
        return measurement.summary
    }
}

/// Measures a `TokenCountSummary` a batch of texts at a time, so a corpus can be streamed
/// through it: it keeps the running sums and the token count of each gene spelling it has met.
public struct TokenCountMeasurement {
    public let tokenizer: Tokenizer
    public let genes: Set<String>?
    public private(set) var summary = TokenCountSummary()
    /// Tokens of each gene spelling met so far (" B2M" or "B2M"): genes repeat in every text.
    private var geneCost: [String: Int] = [:]

    public init(tokenizer: Tokenizer, genes: Set<String>?) {
        self.tokenizer = tokenizer
        self.genes = genes
    }

    /// Adds the examples of `texts` (encoded on all cores).
    public mutating func add(_ texts: [String]) {
        summary.examples += texts.count
        for ids in tokenizer.encodeBatch(texts, addSpecialTokens: false) { summary.tokens += ids.count }
        guard let genes, !genes.isEmpty else { return }
        let tokenizer = self.tokenizer
        // Locals for the nested function (it cannot capture `self`); taken, not copied.
        var cost = geneCost, summary = self.summary
        geneCost = [:]
        defer { geneCost = cost; self.summary = summary }
        for text in texts {
            var previous: Character? = nil
            var word = ""
            func finish() {
                guard !word.isEmpty else { return }
                var name = Substring(word)
                while !genes.contains(String(name)), let last = name.last, ".,;:".contains(last) { name = name.dropLast() }
                if genes.contains(String(name)) {
                    let key = (previous == " " ? " " : "") + name
                    let n = cost[key] ?? tokenizer.encode(key, addSpecialTokens: false).count
                    cost[key] = n
                    summary.geneOccurrences += 1
                    summary.geneTokens += n
                }
                word = ""
            }
            var before: Character? = nil
            for c in text {
                if c.isWhitespace {
                    finish()
                    before = c
                } else {
                    if word.isEmpty { previous = before }
                    word.append(c)
                    before = c
                }
            }
            finish()
        }
    }
}
