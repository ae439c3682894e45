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
            var inputs = EvaluationReportInputs()
            inputs.title = title
            var settings: [(String, String)] = [("c2s", C2SVersion.string)]
            if let trainingLog {
                inputs.training = try TrainingLog.read(trainingLog)
                settings.append(("training log", trainingLog))
            }
            for path in annotationMetrics {
                let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                inputs.annotations.append((name, try decode(AnnotationReport.self, path)))
                settings.append(("annotation metrics", path))
            }
            var generationSettings = GenerationSettings()
            if let generationMetrics {
                // The label-swap test is optional in the file and can be all of it (run without
                // --generated/--real): read it on its own, then the generation metrics if there.
                let parts = try decode(GenerationMetricsParts.self, generationMetrics)
                settings.append(("generation metrics", generationMetrics))
                inputs.labelSwap = parts.labelSwap.map(Self.figures)
                if let g = parts.report {
                    inputs.generation = g
                    generationSettings = g.settings
                    for input in g.inputs { settings.append(("\(input.role) cells", "\(input.path) (\(input.cells) cells, \(input.genes) genes)")) }
                }
            }
            if let labelColumn {
                generationSettings.labelColumn = labelColumn
                generationSettings.generatedLabelColumn = nil
            }
            if let generated, let real {
                var umap: UMAPSettings?
                if !noUmap {
                    umap = UMAPSettings()
                    umap?.seed = umapSeed
                }
                let (profiles, map) = try ReportCells.load(generated: generated, real: real, settings: generationSettings, umap: umap)
                inputs.profiles = profiles
                inputs.map = map
                settings.append(("label column", generationSettings.labelColumn))
            }
            inputs.settings = settings
            let path = URL(fileURLWithPath: output).appendingPathComponent("report.html").path
            try EvaluationReport.build(inputs).write(to: path)
            guard !quiet else { return }
            // The headline figures with their references, as on the page: a figure alone does
            // not say whether the model learned anything.
            print(HeadlineTable.lines(HeadlineFigures.gather(inputs)).joined(separator: "\n"))
            printError("wrote \(path)")
        }
    }

    /// The report's view of the label-swap test.
    static func figures(_ r: LabelSwapResult) -> LabelSwapFigures {
        LabelSwapFigures(cells: r.cellsScored, labels: r.labels.count, accuracy: r.overall.accuracy, chance: r.chance,
                         gapPerCell: r.overall.gapPerCell, gapPerToken: r.overall.gapPerToken)
    }

    func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FileError(path, "cannot be read (\(error.localizedDescription))")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw FileError(path, "is not a metrics file of 'c2s evaluate' (\(error))")
        }
    }
}

/// The two parts of `c2s evaluate generation`'s JSON: the generation metrics (absent when
/// only the label-swap test ran) and the "label_swap" object (absent when the test did not run).
struct GenerationMetricsParts: Decodable {
    var report: GenerationReport?
    var labelSwap: LabelSwapResult?

    enum CodingKeys: String, CodingKey { case knn, labelSwap = "label_swap" }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        labelSwap = try c.decodeIfPresent(LabelSwapResult.self, forKey: .labelSwap)
        // Without a k-NN table there are no generation metrics; with one, they must all decode.
        report = c.contains(.knn) || labelSwap == nil ? try GenerationReport(from: decoder) : nil
    }
}
