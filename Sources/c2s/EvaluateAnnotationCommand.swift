import ArgumentParser
import Evaluation
import Foundation
import SingleCell

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

    @OptionGroup var out: MetricsOutputOptions

    func run() throws {
        try CLIErrors.run {
            let report = try AnnotationEvaluation.run(path: file, truthColumn: truthColumn, predictedColumn: predictedColumn)
            try out.write(report)
            if let perClass { try MetricsFile.write(text: report.metrics.perClassCSV(), to: perClass) }
            if let confusion { try MetricsFile.write(text: report.metrics.confusionCSV(), to: confusion) }
            guard !out.quiet else { return }
            let m = report.metrics
            var lines = ["\(m.cells) cells, \(m.labels.count) classes: accuracy \(SummaryFormat.percent(m.accuracy)), weighted F1 \(SummaryFormat.fraction(m.weighted.f1)), macro F1 \(SummaryFormat.fraction(m.macro.f1))"]
            if report.rowsWithoutTruth > 0 { lines.append("\(report.rowsWithoutTruth) rows without a true label were left out") }
            if report.rowsWithoutPrediction > 0 { lines.append("\(report.rowsWithoutPrediction) rows have no prediction (counted wrong)") }
            printError(lines.joined(separator: "\n"))
        }
    }
}
