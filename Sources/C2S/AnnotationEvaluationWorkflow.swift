import Evaluation
import Foundation
import Prompts
import SingleCell

/// The baselines of `c2s evaluate annotation`: the evaluated rows' cells classified by models
/// fitted on the train split's cells of an expression file.
public struct AnnotationBaselineSettings: Sendable {
    /// The count matrix (.h5ad) of all cells; rows are matched to its cells by name.
    public var expression: String
    /// The splits.json whose split "train" holds the baselines' reference cells.
    public var splits: String
    /// Neighbours of the k-NN baselines.
    public var k = 10
    /// Total each cell is scaled to before the log transform.
    public var normalizeTarget = 10_000.0
    /// Whether to fit the strong baselines too (logistic regression on HVGs, k-NN on their PCs).
    public var strongBaselines = true
    /// Highly variable genes and principal components of the strong baselines.
    public var hvg = 2000
    public var pcaComponents = 50
    /// The JSON of an earlier `c2s evaluate annotation` of the same cells with the same
    /// expression file, splits and settings: its baselines are taken instead of fitted again
    /// (an error names what differs when they are not the same inputs).
    public var reuse: String?

    public init(expression: String, splits: String) {
        self.expression = expression
        self.splits = splits
    }
}

/// What `c2s evaluate annotation` scores: the predicted against the true labels of a file,
/// and optionally the baselines on the same rows.
public struct AnnotationEvaluationWorkflowSettings: Sendable {
    /// An `.h5ad` file (its obs) or a CSV/TSV table with a header row.
    public var file: String
    public var truthColumn = "cell_type"
    public var predictedColumn = "predicted_cell_type"
    public var baselines: AnnotationBaselineSettings?

    public init(file: String) { self.file = file }
}

/// `c2s evaluate annotation`: the classification metrics of a file's predictions
/// (``AnnotationEvaluation``), with the k-NN baseline and the strong baselines on the same
/// rows when asked for. Nothing is written: the caller writes the report.
public enum AnnotationEvaluationWorkflow {
    /// Scores the file. Errors: a missing column, a row whose cell is not in the expression
    /// file, an evaluated cell of the train split (the baselines need held-out cells).
    public static func run(_ s: AnnotationEvaluationWorkflowSettings) throws -> AnnotationReport {
        var report = try AnnotationEvaluation.run(path: s.file, truthColumn: s.truthColumn, predictedColumn: s.predictedColumn)
        if let b = s.baselines {
            let names = try rowNames(s.file)
            let inputs = try baselineInputs(s, b, rows: names)
            if let reuse = b.reuse {
                (report.baseline, report.baselines) = try reused(reuse, inputs: inputs)
            } else {
                (report.baseline, report.baselines) = try baselines(s, b, rows: names)
            }
            report.baselineInputs = inputs
        }
        return report
    }

    /// What the baselines depend on: the files' checksums, the truth column, the evaluated rows
    /// (`names`: the file's cell names, in order) and the settings.
    static func baselineInputs(_ s: AnnotationEvaluationWorkflowSettings, _ b: AnnotationBaselineSettings,
                               rows names: [String]) throws -> AnnotationBaselineInputs {
        return AnnotationBaselineInputs(
            expressionSHA256: try FileChecksum.sha256(b.expression), splitsSHA256: try FileChecksum.sha256(b.splits),
            truthColumn: s.truthColumn, rows: names.count, rowsSHA256: FileChecksum.sha256(bytes: Array(names.joined(separator: "\n").utf8)),
            k: b.k, normalizeTarget: b.normalizeTarget,
            hvg: b.strongBaselines ? b.hvg : nil, pcaComponents: b.strongBaselines ? b.pcaComponents : nil)
    }

    /// The baselines of the earlier report at `path`, which must have been computed from `inputs`.
    static func reused(_ path: String, inputs: AnnotationBaselineInputs) throws -> (KNNBaselineReport, StrongBaselinesReport?) {
        let earlier: AnnotationReport
        do {
            earlier = try JSONDecoder().decode(AnnotationReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DataError("\(path): not the JSON of 'c2s evaluate annotation' (\(error))")
        }
        guard let knn = earlier.baseline, let recorded = earlier.baselineInputs else {
            throw DataError("\(path): has no baselines with their inputs to reuse (evaluate with --baseline-expression and --splits first)")
        }
        let differences = inputs.differences(from: recorded)
        guard differences.isEmpty else {
            throw DataError("\(path): its baselines were computed from other inputs: \(differences.joined(separator: "; "))")
        }
        if inputs.hvg != nil && earlier.baselines == nil {
            throw DataError("\(path): has no strong baselines to reuse")
        }
        return (knn, earlier.baselines)
    }

    /// The baselines on the evaluated rows (`names`: their cells, by name, of the expression
    /// file), classified by models of the train split's cells. The strong ones unless switched off.
    static func baselines(_ s: AnnotationEvaluationWorkflowSettings, _ b: AnnotationBaselineSettings,
                          rows names: [String]) throws -> (KNNBaselineReport, StrongBaselinesReport?) {
        let file = s.file, expression = b.expression
        let plan = try SplitPlan.read(path: b.splits)
        let table = try ExpressionMatrix.read(expression)
        let labels = try table.column(s.truthColumn)
        var row: [String: Int] = [:]
        for (i, n) in table.cellNames.enumerated() { row[n] = i }
        let train = table.cellNames.indices.filter { plan.assignments[table.cellNames[$0]] == "train" && labels[$0] != nil }
        var test: [Int] = []
        for n in names {
            guard let r = row[n] else { throw DataError("\(file): cell '\(n)' is not in \(expression)") }
            guard let l = labels[r], !l.isEmpty else { continue }
            test.append(r)
        }
        if let leak = test.first(where: { plan.assignments[table.cellNames[$0]] == "train" }) {
            throw DataError("\(file): cell '\(table.cellNames[leak])' is in the train split of \(b.splits); the baseline needs held-out cells")
        }
        let trainCells = table.selecting(rows: train), testCells = table.selecting(rows: test)
        let trainLabels = train.map { labels[$0]! }, testLabels = test.map { labels[$0]! }
        let knn = try KNNBaseline.run(path: expression, train: trainCells, trainLabels: trainLabels, test: testCells,
                                      testLabels: testLabels, k: b.k, normalizeTarget: b.normalizeTarget)
        guard b.strongBaselines else { return (knn, nil) }
        let strong = try StrongBaselines.run(train: trainCells, trainLabels: trainLabels, test: testCells, testLabels: testLabels,
                                             hvg: b.hvg, pcaComponents: b.pcaComponents, k: b.k, normalizeTarget: b.normalizeTarget)
        return (knn, strong)
    }

    /// Cell names of a file's rows: the obs index of an .h5ad, else the first column of the table.
    static func rowNames(_ path: String) throws -> [String] {
        if try ExpressionReader.detectFormat(path) == .h5ad { return try H5ADSource(path: path).obs.index }
        let table = try CSVTable(path: path)
        return try table.column(table.header[0])
    }
}
