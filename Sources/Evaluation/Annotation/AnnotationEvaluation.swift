import Foundation
import SingleCell

/// Everything `c2s evaluate annotation` measures.
public struct AnnotationReport: Codable, Sendable {
    public var path: String
    public var truthColumn: String
    public var predictedColumn: String
    /// Rows left out because their true label is missing.
    public var rowsWithoutTruth: Int
    /// Rows whose prediction is missing; they count as the empty label "" (always wrong).
    public var rowsWithoutPrediction: Int
    public var metrics: ClassificationMetrics
    /// The k-NN baseline on the same cells, when asked for (`--baseline-expression`).
    public var baseline: KNNBaselineReport?
    /// Logistic regression and k-NN on principal components of highly variable genes, with
    /// chance levels, on the same cells (on by default with `--baseline-expression`).
    public var baselines: StrongBaselinesReport?
    /// What the baselines were computed from, so a later evaluation of the same cells can reuse them.
    public var baselineInputs: AnnotationBaselineInputs?
    /// The registered metrics (``AnnotationMetrics``), each in the JSON under its own key.
    public var registered: MetricValues<AnnotationMetricInput>
    /// What the registered metrics had to say (under "warnings" when there is something).
    public var warnings: [String]

    public init(path: String, truthColumn: String, predictedColumn: String, rowsWithoutTruth: Int, rowsWithoutPrediction: Int,
                metrics: ClassificationMetrics, baseline: KNNBaselineReport? = nil, baselines: StrongBaselinesReport? = nil,
                registered: MetricValues<AnnotationMetricInput> = MetricValues(), warnings: [String] = []) {
        self.path = path
        self.truthColumn = truthColumn
        self.predictedColumn = predictedColumn
        self.rowsWithoutTruth = rowsWithoutTruth
        self.rowsWithoutPrediction = rowsWithoutPrediction
        self.metrics = metrics
        self.baseline = baseline
        self.baselines = baselines
        self.registered = registered
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case path, metrics, baseline, baselines, warnings
        case baselineInputs = "baseline_inputs"
        case truthColumn = "truth_column", predictedColumn = "predicted_column"
        case rowsWithoutTruth = "rows_without_truth", rowsWithoutPrediction = "rows_without_prediction"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        truthColumn = try c.decode(String.self, forKey: .truthColumn)
        predictedColumn = try c.decode(String.self, forKey: .predictedColumn)
        rowsWithoutTruth = try c.decode(Int.self, forKey: .rowsWithoutTruth)
        rowsWithoutPrediction = try c.decode(Int.self, forKey: .rowsWithoutPrediction)
        metrics = try c.decode(ClassificationMetrics.self, forKey: .metrics)
        baseline = try c.decodeIfPresent(KNNBaselineReport.self, forKey: .baseline)
        baselines = try c.decodeIfPresent(StrongBaselinesReport.self, forKey: .baselines)
        baselineInputs = try c.decodeIfPresent(AnnotationBaselineInputs.self, forKey: .baselineInputs)
        registered = try MetricValues(from: decoder, metrics: AnnotationMetrics.all)
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(truthColumn, forKey: .truthColumn)
        try c.encode(predictedColumn, forKey: .predictedColumn)
        try c.encode(rowsWithoutTruth, forKey: .rowsWithoutTruth)
        try c.encode(rowsWithoutPrediction, forKey: .rowsWithoutPrediction)
        try c.encode(metrics, forKey: .metrics)
        try c.encodeIfPresent(baseline, forKey: .baseline)
        try c.encodeIfPresent(baselines, forKey: .baselines)
        try c.encodeIfPresent(baselineInputs, forKey: .baselineInputs)
        try registered.encode(to: encoder)
        if !warnings.isEmpty { try c.encode(warnings, forKey: .warnings) }
    }
}

/// Predicted cell types against true ones, from a CSV/TSV table or the `obs` of an `.h5ad`.
public enum AnnotationEvaluation {
    /// Reads the two columns of `path` (an `.h5ad` file's `obs`, or a delimited text table with
    /// a header) and scores them, with the classification metrics and `metrics` (the registered
    /// ones, ``AnnotationMetrics``). In a text table an empty field is a missing value.
    public static func run(path: String, truthColumn: String, predictedColumn: String,
                           metrics: [any EvaluationMetric<AnnotationMetricInput>.Type] = AnnotationMetrics.all) throws -> AnnotationReport {
        let truth: [String?], predicted: [String?]
        if try ExpressionReader.detectFormat(path) == .h5ad {
            let table = try H5ADSource(path: path)
            func column(_ name: String) throws -> [String?] {
                guard let c = table.obs.column(name) else {
                    throw FileError(path, "no obs column '\(name)'; obs columns: \(table.obs.columnNames.isEmpty ? "none" : table.obs.columnNames.joined(separator: ", "))")
                }
                return (0..<c.values.count).map { c.values.text(at: $0) }
            }
            truth = try column(truthColumn)
            predicted = try column(predictedColumn)
        } else {
            let table = try CSVTable(path: path)
            truth = try table.column(truthColumn).map { $0.isEmpty ? nil : $0 }
            predicted = try table.column(predictedColumn).map { $0.isEmpty ? nil : $0 }
        }
        let keep = truth.indices.filter { truth[$0] != nil }
        guard !keep.isEmpty else { throw DataError("\(path): no row has a value in '\(truthColumn)'") }
        let input = AnnotationMetricInput(path: path, truthColumn: truthColumn, predictedColumn: predictedColumn,
                                          truth: keep.map { truth[$0]! }, predicted: keep.map { predicted[$0] ?? "" })
        var warnings: [String] = []
        let registered = try MetricValues.compute(metrics, input: input, warnings: &warnings)
        return AnnotationReport(path: path, truthColumn: truthColumn, predictedColumn: predictedColumn,
                                rowsWithoutTruth: truth.count - keep.count,
                                rowsWithoutPrediction: keep.filter { predicted[$0] == nil }.count,
                                metrics: ClassificationMetrics(truth: input.truth, predicted: input.predicted), registered: registered,
                                warnings: warnings)
    }
}
