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

    enum CodingKeys: String, CodingKey {
        case path, metrics, baseline, baselines
        case truthColumn = "truth_column", predictedColumn = "predicted_column"
        case rowsWithoutTruth = "rows_without_truth", rowsWithoutPrediction = "rows_without_prediction"
    }
}

/// Predicted cell types against true ones, from a CSV/TSV table or the `obs` of an `.h5ad`.
public enum AnnotationEvaluation {
    /// Reads the two columns of `path` (an `.h5ad` file's `obs`, or a delimited text table with
    /// a header) and scores them. In a text table an empty field is a missing value.
    public static func run(path: String, truthColumn: String, predictedColumn: String) throws -> AnnotationReport {
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
        return AnnotationReport(path: path, truthColumn: truthColumn, predictedColumn: predictedColumn,
                                rowsWithoutTruth: truth.count - keep.count,
                                rowsWithoutPrediction: keep.filter { predicted[$0] == nil }.count,
                                metrics: ClassificationMetrics(truth: keep.map { truth[$0]! }, predicted: keep.map { predicted[$0] ?? "" }))
    }
}
