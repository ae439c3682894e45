import ArgumentParser
import Evaluation
import Foundation
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
                let g = try decode(GenerationReport.self, generationMetrics)
                inputs.generation = g
                generationSettings = g.settings
                settings.append(("generation metrics", generationMetrics))
                for input in g.inputs { settings.append(("\(input.role) cells", "\(input.path) (\(input.cells) cells, \(input.genes) genes)")) }
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
            let rows = EvaluationReport.headlineRows(inputs)
            let width = rows.map(\.0.count).max() ?? 0
            print(rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n"))
            printError("wrote \(path)")
        }
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
