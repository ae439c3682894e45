/// What `PerturbationEvaluation` hands each of its registered metrics: the responses over the
/// genes the files share (mean expression minus the control mean).
public struct PerturbationMetricInput: Sendable {
    /// The shared genes, in the true file's order.
    public var genes: [String]
    public var predictedResponse: [Double]
    public var trueResponse: [Double]
    /// The mean-response baseline's response, with baseline files.
    public var baselineResponse: [Double]?
    /// The numbers of top DE genes asked for (nil: all genes).
    public var topN: [Int?]

    public init(genes: [String], predictedResponse: [Double], trueResponse: [Double], baselineResponse: [Double]?, topN: [Int?]) {
        self.genes = genes
        self.predictedResponse = predictedResponse
        self.trueResponse = trueResponse
        self.baselineResponse = baselineResponse
        self.topN = topN
    }
}

/// The registered metrics of `c2s evaluate perturbation`, beside the Pearson correlations of
/// the responses (and their baselines and groups) that the evaluation computes itself. A new
/// perturbation metric is a type conforming to `EvaluationMetric` with `Input ==
/// PerturbationMetricInput` and one line here: it is written under its key and printed after
/// the correlation rows (`c2s report eval` shows no perturbation metrics, so its headline
/// figures and report rows are not shown).
public enum PerturbationMetrics {
    public static let all: [any EvaluationMetric<PerturbationMetricInput>.Type] = []
}
