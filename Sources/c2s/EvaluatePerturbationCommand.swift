import ArgumentParser
import C2S
import Evaluation
import Foundation

struct EvaluatePerturbationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perturbation",
        abstract: "Score a predicted perturbation response against the true one.",
        discussion: """
            Responses are mean expression minus the control mean, per gene (genes matched by \
            name): predicted = mean(PREDICTED) - mean(CONTROL), true = mean(TRUE) - mean(CONTROL). \
            Genes are ranked by |true response| (largest first, ties by the true file's gene \
            order) and Pearson's r of predicted vs true response is reported over the top N \
            (--top-n, 'all' for every gene). The baseline (--baseline-control and \
            --baseline-perturbed, cells of the training cell types labelled by --label-column) \
            predicts the mean over those cell types of their own response.

            --group-by COL (an obs column of the three files, e.g. the cell type) scores each \
            group on its own cells as well: the group's response from its own control and true \
            cells, against the per-group mean-shift baseline, i.e. the same group's response in \
            the baseline files (perturbed mean - control mean of that type, the training \
            split's), or the mean over the baseline types for a group the baseline files lack. \
            The summary gives the mean r over groups and in how many groups the prediction beats \
            the baseline. Beside it stands the perturbed-mean predictor: the group's (or the \
            baseline types') perturbed mean taken as the prediction, ignoring the control cells; \
            the metric subtracts the evaluated control mean from both sides, so on small test \
            splits it is the harder of the two.

            Examples:
              c2s evaluate perturbation --predicted pred_stim.h5ad --control mono_ctrl.h5ad --true mono_stim.h5ad -o pert.json
              c2s evaluate perturbation --predicted p.h5ad --control c.h5ad --true t.h5ad \\
                  --baseline-control train_ctrl.h5ad --baseline-perturbed train_stim.h5ad --label-column cell_type
              c2s evaluate perturbation --predicted test-pred.h5ad --control test-ctrl.h5ad --true test-stim.h5ad \
                  --baseline-control train-ctrl.h5ad --baseline-perturbed train-stim.h5ad \
                  --label-column seurat_annotations --group-by seurat_annotations -o perturbation.json
            """)

    @Option(help: "Predicted perturbed cells (expression in X).")
    var predicted: String

    @Option(help: "Control cells of the same cell type.")
    var control: String

    @Option(name: .customLong("true"), help: "True perturbed cells.")
    var truth: String

    @Option(help: "Numbers of top DE genes, comma-separated; 'all' for every gene.")
    var topN = "20,50,all"

    @Option(help: "Control cells of the training cell types, for the mean-response baseline.")
    var baselineControl: String?

    @Option(help: "Perturbed cells of the training cell types, for the baseline.")
    var baselinePerturbed: String?

    @Option(help: "obs column with the cell type in the baseline files.")
    var labelColumn = "cell_type"

    @Option(help: "Cell types to leave out of the baseline (repeatable), e.g. the held-out type.")
    var excludeLabel: [String] = []

    @Option(help: "obs column of the predicted, control and true files: score each of its values (cell type) on its own cells too, against its own mean shift.")
    var groupBy: String?

    @OptionGroup var out: MetricsOutputOptions

    func topNValues() throws -> [Int?] {
        try topN.split(separator: ",").map { part -> Int? in
            let s = part.trimmingCharacters(in: .whitespaces)
            if s == "all" { return nil }
            guard let n = Int(s), n >= 1 else { throw ValidationError("--top-n takes positive numbers or 'all', not '\(s)'") }
            return n
        }
    }

    func validate() throws {
        _ = try topNValues()
        if (baselineControl == nil) != (baselinePerturbed == nil) {
            throw ValidationError("the baseline needs both --baseline-control and --baseline-perturbed")
        }
    }

    func run() throws {
        try CLIErrors.run {
            var settings = PerturbationEvaluationWorkflowSettings(predicted: predicted, control: control, truth: truth)
            settings.topN = try topNValues()
            settings.groupBy = groupBy
            if let baselineControl, let baselinePerturbed {
                var b = PerturbationBaselineFiles(control: baselineControl, perturbed: baselinePerturbed)
                b.labelColumn = labelColumn
                b.excluded = Set(excludeLabel)
                settings.baseline = b
            }
            let report = try PerturbationEvaluationWorkflow.run(settings)
            try out.write(report)
            guard !out.quiet else { return }
            func row(_ name: String, _ cs: [ResponseCorrelation]) -> String {
                "  \(name): " + cs.map { c in
                    "\(c.topN.map { "top \($0)" } ?? "all") (\(c.genes) genes) r = \(SummaryFormat.fraction(c.pearson))"
                }.joined(separator: ", ")
            }
            var lines = ["Pearson r of predicted vs true response over \(report.sharedGenes) shared genes:", row("prediction", report.correlations)]
            if let b = report.baseline {
                lines.append(row("mean-response baseline (\(b.cellTypes.count) types)", b.correlations))
                if let t = b.perturbedMeanCorrelations { lines.append(row("perturbed-mean predictor (\(b.cellTypes.count) types)", t)) }
            }
            lines += report.registered.summary()
            if let groups = report.groups, let summary = report.groupSummary, let column = report.groupColumn {
                let ns = summary.map { $0.topN.map { "top \($0)" } ?? "all" }.joined(separator: " / ")
                lines.append("per \(column) (\(groups.count) groups), r over \(ns): prediction | mean-shift baseline (its kind) | perturbed-mean predictor")
                func rs(_ cs: [ResponseCorrelation]) -> String { cs.map { SummaryFormat.fraction($0.pearson) }.joined(separator: " ") }
                for g in groups {
                    let base = (g.baselineCorrelations.map { " | \(rs($0)) (\(g.baselineKind ?? ""))" } ?? "")
                        + (g.perturbedMeanCorrelations.map { " | \(rs($0))" } ?? "")
                    lines.append("  \(g.group) (\(g.controlCells) control, \(g.trueCells) true cells): \(rs(g.correlations))\(base)")
                }
                for s in summary {
                    var text = "  mean over groups, \(s.topN.map { "top \($0)" } ?? "all"): prediction \(SummaryFormat.fraction(s.meanPearson))"
                    if let above = s.aboveBaseline {
                        text += ", mean-shift baseline \(SummaryFormat.fraction(s.baselineMeanPearson)); prediction above it in \(above) of \(s.groups) groups"
                    }
                    if let trivial = s.perturbedMeanMeanPearson, let above = s.abovePerturbedMean {
                        text += "; perturbed-mean predictor \(SummaryFormat.fraction(trivial)), prediction above it in \(above) of \(s.groups)"
                    }
                    lines.append(text)
                }
            }
            for w in report.warnings { lines.append("warning: \(w)") }
            printError(lines.joined(separator: "\n"))
        }
    }
}
