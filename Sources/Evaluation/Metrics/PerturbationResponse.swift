/// Pearson's r between a predicted and the true perturbation response over one set of genes.
public struct ResponseCorrelation: Codable, Sendable, Equatable {
    /// The N of "top N differentially expressed genes" asked for; nil means all genes.
    public var topN: Int?
    /// Genes actually used (N, or every gene when there are fewer).
    public var genes: Int
    /// Pearson's r of predicted vs true response over those genes (NaN when either is constant).
    @NullableMetric public var pearson: Double

    enum CodingKeys: String, CodingKey { case topN = "top_n", genes, pearson }
}

/// How well a predicted perturbation response matches the true one.
///
/// Responses are differences of mean expression: predicted = mean(predicted cells) - mean(control
/// cells), true = mean(true perturbed cells) - mean(control cells), per gene. Differentially
/// expressed (DE) genes are ranked by the absolute true response, largest first, equal values in
/// ascending gene index (a stable sort of -|true|). Pearson's r is computed over the top N.
public enum PerturbationResponse {
    /// The gene order by |true response|, descending, ties by lower index.
    public static func deRanking(trueResponse: [Double]) -> [Int] {
        Array(0..<trueResponse.count).sorted { a, b in
            let x = abs(trueResponse[a]), y = abs(trueResponse[b])
            return x > y || (x == y && a < b)
        }
    }

    /// Correlations over the top `topN` DE genes of the true response (nil = all genes).
    public static func correlations(predicted: [Double], truth: [Double], topN: [Int?]) -> [ResponseCorrelation] {
        precondition(predicted.count == truth.count)
        let order = deRanking(trueResponse: truth)
        return topN.map { n in
            let take = min(n ?? order.count, order.count)
            let genes = order.prefix(take)
            return ResponseCorrelation(topN: n, genes: take,
                                       pearson: Agreement.pearson(genes.map { predicted[$0] }, genes.map { truth[$0] }))
        }
    }

    /// Element-wise a - b.
    public static func difference(_ a: [Double], _ b: [Double]) -> [Double] {
        precondition(a.count == b.count)
        return zip(a, b).map { $0 - $1 }
    }

    /// The baseline response for a held-out cell type: the mean over training cell types of
    /// their responses (perturbed mean - control mean), each type weighted equally. Adding it to
    /// the held-out type's control mean gives the baseline prediction, so the baseline's
    /// predicted response is this vector itself.
    public static func meanResponse(controlMeans: [[Double]], perturbedMeans: [[Double]]) -> [Double] {
        precondition(controlMeans.count == perturbedMeans.count && !controlMeans.isEmpty)
        let g = controlMeans[0].count
        var out = [Double](repeating: 0, count: g)
        for (c, p) in zip(controlMeans, perturbedMeans) {
            precondition(c.count == g && p.count == g)
            for i in 0..<g { out[i] += p[i] - c[i] }
        }
        let n = Double(controlMeans.count)
        return out.map { $0 / n }
    }
}
