/// Validity, uniqueness and length with where the sentences came from.
public struct SentenceQualitySection: Codable, Sendable {
    /// "obs column cell_sentence checked against the real genes", or the reconstruct counts.
    public var source: String
    public var metrics: SentenceQuality
}

/// Validity, uniqueness and length of the generated sentences (``SentenceQuality``), under
/// "sentence_quality": from the generated file's sentence column matched to the real genes,
/// else from the word counts `c2s reconstruct` wrote; absent (with a warning) without either.
public enum SentenceQualityMetric: EvaluationMetric {
    public static let key = "sentence_quality"

    public static func compute(_ input: GenerationMetricInput, warnings: inout [String]) throws -> SentenceQualitySection? {
        let gen = input.generatedCells, column = input.settings.sentenceColumn
        if gen.hasColumn(column) {
            let texts = try gen.column(column).map { $0 ?? "" }
            return SentenceQualitySection(source: "obs column \(column) of \(input.generatedPath), words matched to the genes of \(input.realPath)",
                                          metrics: SentenceQuality(sentences: texts, lookup: input.realGenes))
        } else if ["n_words", "n_valid_words", "n_unique_genes"].allSatisfy(gen.hasColumn) {
            let w = try gen.column("n_words"), v = try gen.column("n_valid_words"), u = try gen.column("n_unique_genes")
            // Counts may be stored as integers or as floats ("12.0").
            func count(_ text: String?) -> Int { Int(Double(text ?? "") ?? 0) }
            let counts = (0..<w.count).map { i in (words: count(w[i]), valid: count(v[i]), unique: count(u[i])) }
            return SentenceQualitySection(source: "obs columns n_words, n_valid_words, n_unique_genes of \(input.generatedPath) (counted by c2s reconstruct against its dataset's vocabulary)",
                                          metrics: SentenceQuality(counts: counts))
        }
        warnings.append("\(input.generatedPath) has no obs column \(column) (nor reconstruct's word counts): no validity, uniqueness or length")
        return nil
    }

    public static func summary(_ value: SentenceQualitySection) -> [String] {
        let q = value.metrics
        return ["sentences: validity \(share(q.validity)), uniqueness \(share(q.uniqueness)), mean length \(String(format: "%.1f", q.meanLength))"]
    }

    /// Validity and uniqueness against the 100 % of a generator that writes only vocabulary
    /// genes, none repeated.
    public static func headline(_ value: SentenceQualitySection) -> [HeadlineFigure] {
        let q = value.metrics
        return [HeadlineFigure("validity of generated genes", q.validity, unit: .share,
                               references: [HeadlineReference("every gene in the vocabulary", 1, kind: .ceiling)]),
                HeadlineFigure("uniqueness of generated genes", q.uniqueness, unit: .share,
                               references: [HeadlineReference("no gene repeated", 1, kind: .ceiling)])]
    }

    public static func details(_ value: SentenceQualitySection) -> [MetricDetail] {
        let q = value.metrics
        return [MetricDetail("sentences", "\(q.sentences)"), MetricDetail("validity (genes of the vocabulary)", share(q.validity)),
                MetricDetail("uniqueness (distinct genes per sentence)", share(q.uniqueness)),
                MetricDetail("length (genes)", "mean \(number(q.meanLength)), median \(number(q.medianLength)), \(q.minLength)–\(q.maxLength)")]
    }

    static func share(_ v: Double) -> String { HeadlineFigure.Unit.share.format(v) }
    static func number(_ v: Double) -> String { HeadlineFigure.Unit.number.format(v) }
}
