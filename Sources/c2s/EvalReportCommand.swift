import ArgumentParser
import C2S
import Evaluation
import Foundation
import Mechanics
import Reports
import SingleCell

struct EvalReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Report a model's training, annotation and generation results on one HTML page.",
        discussion: """
            Writes OUTPUT/report.html: one self-contained page (inline SVG, no network) from the \
            outputs of 'c2s train' and 'c2s evaluate': the run's settings, loss curves \
            (--training-log, the model folder's metrics.jsonl; trainer_state.json beside it gives \
            the training settings), confusion matrix, per-class F1 and table for each \
            --annotation-metrics file (repeatable; named by the file name), the k-NN table, \
            validity and uniqueness (--generation-metrics), and, with --generated and --real, the \
            mean expression of generated against real cells per cell type and maps of both: on \
            the first two principal components of the real cells, and on a UMAP of the real \
            cells' first 50 principal components (k = 15, min_dist 0.1, spectral initialisation, \
            seed --umap-seed) into which the generated cells are placed as umap-learn's \
            transform does (up to 20,000 real cells; --no-umap leaves it out). Real cells are log-normalised \
            when the generation metrics say so (--normalize-real of 'c2s evaluate generation'). \
            Parts whose input is not given are left out, and the page says so.

            The headline figures (printed, and at the top of the page) stand beside their \
            references on the same cells: annotation accuracy beside chance, the majority class, \
            k-NN on all genes, logistic regression on HVGs and k-NN on PCs of HVGs; generated \
            cells' k-NN accuracy and separation beside chance and real vs real (with the share of \
            it reached); the mean-profile Pearson beside its label-blind null; the label-swap \
            test (when the generation metrics hold one) beside chance and a gap of 0. The loss \
            figure draws one curve per task when the log has per-task losses (loss/TASK), the \
            total otherwise; the training arguments are folded away.

            Example:
              c2s report eval --training-log model/metrics.jsonl \\
                  --annotation-metrics annotation-constrained.json --annotation-metrics annotation-free.json \\
                  --generation-metrics generation.json --generated generated.h5ad --real test.h5ad -o report
            """)

    @Option(name: .shortAndLong, help: "Output folder (created if missing); the page is report.html inside it.")
    var output: String

    @Option(help: "metrics.jsonl written by 'c2s train'.")
    var trainingLog: String?

    @Option(help: "JSON from 'c2s evaluate annotation' (repeatable).")
    var annotationMetrics: [String] = []

    @Option(help: "JSON from 'c2s evaluate generation'.")
    var generationMetrics: String?

    @Option(help: "Generated cells (.h5ad from 'c2s generate-cells'), for the profile scatter and the map.")
    var generated: String?

    @Option(help: "Real cells (.h5ad with the label column), for the profile scatter and the map.")
    var real: String?

    @Option(help: "obs column with the cell type (default: the generation metrics' label column, else cell_type).")
    var labelColumn: String?

    @Flag(help: "Leave out the UMAP of real and generated cells (the PCA map is always drawn).")
    var noUmap = false

    @Option(help: "Seed of the UMAP (its initial noise and negative samples): the same seed gives the same map.")
    var umapSeed: UInt64 = 0

    @Option(help: "Title of the page.")
    var title = "Model evaluation"

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if (generated == nil) != (real == nil) { throw ValidationError("--generated and --real go together") }
        if trainingLog == nil && annotationMetrics.isEmpty && generationMetrics == nil && generated == nil {
            throw ValidationError("nothing to report: give --training-log, --annotation-metrics, --generation-metrics or --generated/--real")
        }
    }

    func run() throws {
        try CLIErrors.run {
            var sources = EvaluationReportSources(output: output)
            sources.title = title
            sources.trainingLog = trainingLog
            sources.annotationMetrics = annotationMetrics
            sources.generationMetrics = generationMetrics
            (sources.generated, sources.real) = (generated, real)
            sources.labelColumn = labelColumn
            sources.umap = noUmap ? nil : UMAPSettings()
            sources.umap?.seed = umapSeed
            let result = try EvaluationReportWriting.run(sources)
            guard !quiet else { return }
            // The headline figures with their references, as on the page: a figure alone does
            // not say whether the model learned anything.
            print(HeadlineTable.lines(HeadlineFigures.gather(result.inputs)).joined(separator: "\n"))
            printError("wrote \(result.path)")
        }
    }
}
