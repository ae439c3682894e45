/// Shortens the cell sentences inside a model input, gene by gene, from the end.
///
/// A cell sentence lists genes from the most to the least expressed, so its end holds the
/// least informative genes: cutting there keeps what the model most needs, and cutting whole
/// genes never leaves a fragment of a gene name for the model to learn. Every sentence is cut
/// to at most `maxGenes` genes, so with several cells the longest lose genes first and the
/// cells stay comparable.
public struct SentenceTruncation: Sendable {
    private let scalars: [Unicode.Scalar]
    /// The genes of each sentence, as scalar ranges within the input.
    private let genes: [[Range<Int>]]
    /// Each sentence's scalar range.
    private let spans: [Range<Int>]

    /// - Parameters:
    ///   - spans: Unicode code-point ranges of each sentence in `input` (in order, disjoint).
    public init(input: String, spans: [Range<Int>]) {
        let scalars = Array(input.unicodeScalars)
        self.scalars = scalars
        self.spans = spans
        genes = spans.map { span in
            var words: [Range<Int>] = []
            var start: Int?
            for i in span {
                if scalars[i].properties.isWhitespace {
                    if let s = start { words.append(s..<i); start = nil }
                } else if start == nil {
                    start = i
                }
            }
            if let s = start { words.append(s..<span.upperBound) }
            return words
        }
    }

    /// Genes in the longest sentence.
    public var longestSentence: Int { genes.map(\.count).max() ?? 0 }

    /// Genes in all sentences.
    public var totalGenes: Int { genes.reduce(0) { $0 + $1.count } }

    /// The input with every sentence cut after its first `maxGenes` genes (the separators
    /// after the last kept gene go too), and how many genes were dropped.
    public func keeping(atMost maxGenes: Int) -> (input: String, droppedGenes: Int) {
        var out = String.UnicodeScalarView()
        var at = 0, dropped = 0
        for (span, words) in zip(spans, genes) {
            out.append(contentsOf: scalars[at..<span.lowerBound])
            if words.count <= maxGenes {
                out.append(contentsOf: scalars[span])
            } else {
                dropped += words.count - maxGenes
                // Everything before the first dropped gene's separator: the kept genes as written.
                let end = maxGenes > 0 ? words[maxGenes - 1].upperBound : span.lowerBound
                out.append(contentsOf: scalars[span.lowerBound..<end])
            }
            at = span.upperBound
        }
        out.append(contentsOf: scalars[at...])
        return (String(out), dropped)
    }
}
