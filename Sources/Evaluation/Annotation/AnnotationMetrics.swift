/// What `AnnotationEvaluation` hands each of its registered metrics: the rows with a true
/// label, each with its prediction.
public struct AnnotationMetricInput: Sendable {
    /// The file scored and its two columns.
    public var path: String
    public var truthColumn: String
    public var predictedColumn: String
    /// True and predicted label of each row that has a true label (a missing prediction is "").
    public var truth: [String]
    public var predicted: [String]

    public init(path: String, truthColumn: String, predictedColumn: String, truth: [String], predicted: [String]) {
        self.path = path
        self.truthColumn = truthColumn
        self.predictedColumn = predictedColumn
        self.truth = truth
        self.predicted = predicted
    }
}

/// The registered metrics of `c2s evaluate annotation`, beside the classification metrics
/// (``ClassificationMetrics``, under "metrics") that the evaluation computes itself. A new
/// annotation metric (of the predicted labels against the true ones) is a type conforming to
/// `EvaluationMetric` with `Input == AnnotationMetricInput` and one line here: it is written
/// under its key, printed after the baselines, put in the headline table after the accuracy and
/// F1 (its figures' names followed by the metrics file's name) and in a table of the
/// annotation's section of the page.
public enum AnnotationMetrics {
    public static let all: [any EvaluationMetric<AnnotationMetricInput>.Type] = []
}
