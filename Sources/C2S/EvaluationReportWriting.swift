import Evaluation
import Foundation
import Mechanics
import Reports
import SingleCell

/// What `c2s report eval` puts on its page: the files of a training and evaluation run.
public struct EvaluationReportSources: Sendable {
    public var output: String
    public var title = "Model evaluation"
    /// metrics.jsonl of `c2s train`.
    public var trainingLog: String?
    /// JSON files of `c2s evaluate annotation`, each named on the page by its file name.
    public var annotationMetrics: [String] = []
    /// JSON of `c2s evaluate generation` (its metrics, its label-swap test, or both).
    public var generationMetrics: String?
    /// Generated and real cells (.h5ad), for the mean profiles and the maps.
    public var generated: String?
    public var real: String?
    /// The real cells' label column, when it is not the generation metrics' own.
    public var labelColumn: String?
    /// The UMAP of the maps (nil: no UMAP).
    public var umap: UMAPSettings? = UMAPSettings()

    public init(output: String) { self.output = output }
}

/// `c2s report eval`: reads a run's outputs, builds the page and writes OUTPUT/report.html.
public enum EvaluationReportWriting {
    public struct Result {
        /// The page's inputs, e.g. for the headline figures (`HeadlineFigures.gather`).
        public var inputs: EvaluationReportInputs
        public var path: String
    }

    public static func run(_ s: EvaluationReportSources) throws -> Result {
        var inputs = EvaluationReportInputs()
        inputs.title = s.title
        var settings: [(String, String)] = [("c2s", C2SVersion.string)]
        if let log = s.trainingLog {
            inputs.training = try TrainingLog.read(log)
            settings.append(("training log", log))
        }
        for path in s.annotationMetrics {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            inputs.annotations.append((name, try decode(AnnotationReport.self, path)))
            settings.append(("annotation metrics", path))
        }
        var generationSettings = GenerationSettings()
        if let metrics = s.generationMetrics {
            // The label-swap test is optional in the file and can be all of it (run without
            // --generated/--real): read it on its own, then the generation metrics if there.
            let parts = try decode(GenerationMetricsFile.self, metrics)
            settings.append(("generation metrics", metrics))
            inputs.labelSwap = parts.labelSwap.map(figures)
            if let g = parts.report {
                inputs.generation = g
                generationSettings = g.settings
                for input in g.inputs { settings.append(("\(input.role) cells", "\(input.path) (\(input.cells) cells, \(input.genes) genes)")) }
            }
        }
        if let labelColumn = s.labelColumn {
            generationSettings.labelColumn = labelColumn
            generationSettings.generatedLabelColumn = nil
        }
        if let generated = s.generated, let real = s.real {
            let (profiles, map) = try ReportCells.load(generated: generated, real: real, settings: generationSettings, umap: s.umap)
            inputs.profiles = profiles
            inputs.map = map
            settings.append(("label column", generationSettings.labelColumn))
        }
        inputs.settings = settings
        let path = URL(fileURLWithPath: s.output).appendingPathComponent("report.html").path
        try EvaluationReport.build(inputs).write(to: path)
        return Result(inputs: inputs, path: path)
    }

    /// The report's view of the label-swap test.
    static func figures(_ r: LabelSwapResult) -> LabelSwapFigures {
        LabelSwapFigures(cells: r.cellsScored, labels: r.labels.count, accuracy: r.overall.accuracy, chance: r.chance,
                         gapPerCell: r.overall.gapPerCell, gapPerToken: r.overall.gapPerToken)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FileError(path, "cannot be read (\(error.localizedDescription))")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw FileError(path, "is not a metrics file of 'c2s evaluate' (\(error))")
        }
    }
}
