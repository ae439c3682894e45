import ArgumentParser
import C2S
import Evaluation
import Foundation

struct EvaluateAnnotationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotation",
        abstract: "Score predicted cell types against true ones.",
        discussion: """
            FILE is an .h5ad file (its obs columns) or a CSV/TSV table with a header row. The \
            metrics are scikit-learn's: accuracy, precision, recall and F1 per class and \
            averaged (weighted by each class's true count, and macro), with an undefined \
            precision or recall (a class never predicted, or never true) counted as 0; the \
            confusion matrix has true labels as rows. Classes are the union of true and predicted \
            labels, sorted (as integers when all are integers). Rows without a true label are \
            left out; a missing prediction counts as the empty label.

            Examples:
              c2s evaluate annotation annotated.h5ad --truth-column cell_type --predicted-column predicted_cell_type -o metrics.json
              c2s evaluate annotation predictions.csv --per-class per_class.csv --confusion confusion.csv
              c2s evaluate annotation test.h5ad --truth-column cell_type --predicted-column c2s_label \\
                  --baseline-expression data.h5ad --splits splits.json -o metrics.json

            With --baseline-expression and --splits the same rows are also classified by a k-NN \
            baseline (k = --baseline-k, majority vote, scikit-learn's KNeighborsClassifier) on \
            log-normalised expression (each cell to --baseline-target counts, then log10(1 + x)), \
            with the cells of the 'train' split as references; rows are matched to cells by the \
            obs index (cell name) and the result goes under "baseline".

            The same options also fit the baselines an analyst would use, on the train split's \
            cells only, scored on the same rows (under "baselines"; --no-strong-baselines skips \
            them): cells normalised to --baseline-target counts and ln(1 + x); the --hvg highly \
            variable genes of the train cells (scanpy's highly_variable_genes, flavor "seurat"); \
            a logistic regression on them (scikit-learn's LogisticRegression(): C = 1, L2, \
            multinomial, fitted to the optimum); and a k-NN (k = --baseline-k) on --pca principal \
            components of the HVGs scaled to unit variance and clipped at 10 (scanpy's \
            scale(max_value=10) then pca). Chance levels (1 / classes, and always answering the \
            train split's most frequent class) are reported beside them. The JSON records what \
            the baselines were computed from (under "baseline_inputs"), and --baselines-from \
            takes them from such a JSON of the same cells (a second prediction column or \
            decoding of the same test split) instead of fitting them again.
            """)

    @Argument(help: "An .h5ad file or a CSV/TSV table.")
    var file: String

    @Option(help: "Column with the true labels.")
    var truthColumn = "cell_type"

    @Option(help: "Column with the predicted labels.")
    var predictedColumn = "predicted_cell_type"

    @Option(help: "Also write the per-class table as CSV (label, precision, recall, f1, support, predicted).")
    var perClass: String?

    @Option(help: "Also write the confusion matrix as CSV (true labels as rows).")
    var confusion: String?

    @Option(help: "Count matrix (.h5ad) of all cells, for the k-NN baseline (needs --splits).")
    var baselineExpression: String?

    @Option(help: "splits.json from 'c2s prompts': the baseline's references are its train cells.")
    var splits: String?

    @Option(help: "Neighbours of the k-NN baseline.")
    var baselineK = 10

    @Option(help: "Total each cell is scaled to before log10(1 + x), for the baseline.")
    var baselineTarget = 10_000.0

    @Option(help: "Highly variable genes for the strong baselines, chosen on the train cells (default 2000).")
    var hvg: Int?

    @Option(help: "Principal components of the HVGs for the k-NN strong baseline (default 50).")
    var pca: Int?

    @Flag(help: "Only the all-gene k-NN baseline: skip logistic regression and k-NN on PCs of HVGs.")
    var noStrongBaselines = false

    @Option(help: ArgumentHelp("Take the baselines from an earlier -o JSON of the same cells instead of fitting them again.",
                               discussion: "Its expression file, splits, truth column, evaluated cells and baseline settings must be these (checked by checksum); an error names what differs.",
                               valueName: "json"))
    var baselinesFrom: String?

    @OptionGroup var out: MetricsOutputOptions

    func validate() throws {
        if (baselineExpression == nil) != (splits == nil) { throw ValidationError("--baseline-expression and --splits go together") }
        if baselineK < 1 { throw ValidationError("--baseline-k must be at least 1") }
        if !(baselineTarget > 0) { throw ValidationError("--baseline-target must be positive") }
        if let hvg, hvg < 1 { throw ValidationError("--hvg must be at least 1, not \(hvg)") }
        if let pca, pca < 1 { throw ValidationError("--pca must be at least 1, not \(pca)") }
        if baselinesFrom != nil && baselineExpression == nil {
            throw ValidationError("--baselines-from needs --baseline-expression and --splits (they are checked against the earlier run's)")
        }
        if (hvg != nil || pca != nil) && (baselineExpression == nil || noStrongBaselines) {
            throw ValidationError("--hvg and --pca set the strong baselines: they need --baseline-expression and --splits, without --no-strong-baselines")
        }
    }

    func run() throws {
        try CLIErrors.run {
            var settings = AnnotationEvaluationWorkflowSettings(file: file)
            settings.truthColumn = truthColumn
            settings.predictedColumn = predictedColumn
            if let baselineExpression, let splits {
                var b = AnnotationBaselineSettings(expression: baselineExpression, splits: splits)
                b.k = baselineK
                b.normalizeTarget = baselineTarget
                b.strongBaselines = !noStrongBaselines
                b.hvg = hvg ?? b.hvg
                b.pcaComponents = pca ?? b.pcaComponents
                b.reuse = baselinesFrom
                settings.baselines = b
            }
            let report = try AnnotationEvaluationWorkflow.run(settings)
            try out.write(report)
            if let perClass { try MetricsFile.write(text: report.metrics.perClassCSV(), to: perClass) }
            if let confusion { try MetricsFile.write(text: report.metrics.confusionCSV(), to: confusion) }
            guard !out.quiet else { return }
            let m = report.metrics
            var lines = ["\(m.cells) cells, \(m.labels.count) classes: accuracy \(SummaryFormat.percent(m.accuracy)), weighted F1 \(SummaryFormat.fraction(m.weighted.f1)), macro F1 \(SummaryFormat.fraction(m.macro.f1))"]
            if let b = report.baseline {
                lines.append("k-NN baseline (k=\(b.k), \(b.trainCells) train cells, \(b.genes) genes): accuracy \(SummaryFormat.percent(b.metrics.accuracy)), weighted F1 \(SummaryFormat.fraction(b.metrics.weighted.f1))")
            }
            if let s = report.baselines { lines += strongSummary(s) }
            if let baselinesFrom { lines.append("baselines taken from \(baselinesFrom) (the same inputs, checked)") }
            lines += report.registered.summary()
            if report.rowsWithoutTruth > 0 { lines.append("\(report.rowsWithoutTruth) rows without a true label were left out") }
            if report.rowsWithoutPrediction > 0 { lines.append("\(report.rowsWithoutPrediction) rows have no prediction (counted wrong)") }
            for w in report.warnings { lines.append("warning: \(w)") }
            printError(lines.joined(separator: "\n"))
        }
    }

    /// Summary lines of the strong baselines and chance levels.
    func strongSummary(_ s: StrongBaselinesReport) -> [String] {
        let lr = s.logisticRegressionHVG, knn = s.knnPCAHVG, c = s.chance
        return [
            "logistic regression on \(lr.genes) HVGs (of \(s.hvg.candidateGenes), chosen on the \(s.hvg.trainCells) train cells): accuracy \(SummaryFormat.percent(lr.metrics.accuracy)), weighted F1 \(SummaryFormat.fraction(lr.metrics.weighted.f1))\(lr.converged ? "" : " (not converged)")",
            "k-NN (k=\(knn.k)) on \(knn.components) PCs of the scaled HVGs: accuracy \(SummaryFormat.percent(knn.metrics.accuracy)), weighted F1 \(SummaryFormat.fraction(knn.metrics.weighted.f1))",
            "chance: \(SummaryFormat.percent(c.uniform)) (1/\(c.classes) classes), majority class '\(c.majorityClass)' \(SummaryFormat.percent(c.majorityClassAccuracy))",
        ]
    }
}
