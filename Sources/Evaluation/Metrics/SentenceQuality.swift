import CellSentences

/// Validity, uniqueness and length of generated cell sentences.
public struct SentenceQuality: Codable, Sendable, Equatable {
    /// Sentences scored.
    public var sentences: Int
    /// Words in all sentences (split on whitespace).
    public var words: Int
    /// Words that are genes of the gene list (with repeats).
    public var validWords: Int
    /// Sum over sentences of the number of distinct genes in each.
    public var uniqueGenes: Int
    /// validWords / words, pooled over all sentences.
    @NullableMetric public var validity: Double
    /// uniqueGenes / words, pooled over all sentences: 1 when every word is a gene not repeated
    /// in its sentence.
    @NullableMetric public var uniqueness: Double
    /// Means over sentences of each sentence's own validity and uniqueness (empty sentences
    /// left out).
    @NullableMetric public var meanValidity: Double
    @NullableMetric public var meanUniqueness: Double
    /// Words per sentence.
    @NullableMetric public var meanLength: Double
    @NullableMetric public var medianLength: Double
    public var minLength: Int
    public var maxLength: Int
    /// Sentences with no words.
    public var emptySentences: Int

    enum CodingKeys: String, CodingKey {
        case sentences, words, validity, uniqueness
        case validWords = "valid_words", uniqueGenes = "unique_genes"
        case meanValidity = "mean_validity", meanUniqueness = "mean_uniqueness"
        case meanLength = "mean_length", medianLength = "median_length", minLength = "min_length", maxLength = "max_length"
        case emptySentences = "empty_sentences"
    }

    /// Scores `sentences` against the genes `lookup` knows. Words are matched as sentence
    /// post-processing matches them (as they are, ignoring case, then without punctuation at
    /// their ends), so the figures agree with `c2s reconstruct`'s counts for the same genes.
    public init(sentences texts: [String], lookup: GeneLookup) {
        self.init(counts: texts.map { s -> (Int, Int, Int) in
            let p = SentencePostProcessor.parse(s, lookup: lookup)
            return (p.words, p.validWords, p.uniqueGenes)
        })
    }

    /// The statistics of per-sentence counts (words, valid words, distinct genes).
    public init(counts: [(words: Int, valid: Int, unique: Int)]) {
        sentences = counts.count
        words = counts.reduce(0) { $0 + $1.words }
        validWords = counts.reduce(0) { $0 + $1.valid }
        uniqueGenes = counts.reduce(0) { $0 + $1.unique }
        validity = words > 0 ? Double(validWords) / Double(words) : .nan
        uniqueness = words > 0 ? Double(uniqueGenes) / Double(words) : .nan
        let nonEmpty = counts.filter { $0.words > 0 }
        meanValidity = nonEmpty.isEmpty ? .nan : nonEmpty.reduce(0.0) { $0 + Double($1.valid) / Double($1.words) } / Double(nonEmpty.count)
        meanUniqueness = nonEmpty.isEmpty ? .nan : nonEmpty.reduce(0.0) { $0 + Double($1.unique) / Double($1.words) } / Double(nonEmpty.count)
        let lengths = counts.map(\.words).sorted()
        meanLength = lengths.isEmpty ? .nan : Double(words) / Double(lengths.count)
        medianLength = Quantile.median(sorted: lengths.map(Double.init))
        minLength = lengths.first ?? 0
        maxLength = lengths.last ?? 0
        emptySentences = counts.count - nonEmpty.count
    }
}
