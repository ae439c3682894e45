import CellSentences

/// What `GenerationEvaluation` hands each of its registered metrics: the labelled cells of
/// both sides, in the evaluation's space and as read.
public struct GenerationMetricInput: Sendable {
    public var settings: GenerationSettings
    /// The generated and real cells that have a label (rows), in the evaluation's space:
    /// the shared genes, or their principal components with `--pca`.
    public var generated: FeatureRows
    public var real: FeatureRows
    /// That space's name: "expression" or "pca".
    public var space: String
    public var generatedLabels: [String]
    public var realLabels: [String]
    /// The labelled generated cells as read (all their genes, their obs columns).
    public var generatedCells: ExpressionMatrix
    /// The paths of the generated and real files.
    public var generatedPath: String
    public var realPath: String
    /// The real file's genes, to match sentence words against.
    public var realGenes: GeneLookup
    /// The training and held-out real sentences, when the caller has them (the training overlap).
    public var trainingSentences: TrainingOverlap.References?

    public init(settings: GenerationSettings, generated: FeatureRows, real: FeatureRows, space: String, generatedLabels: [String],
                realLabels: [String], generatedCells: ExpressionMatrix, generatedPath: String, realPath: String, realGenes: GeneLookup,
                trainingSentences: TrainingOverlap.References? = nil) {
        self.settings = settings
        self.generated = generated
        self.real = real
        self.space = space
        self.generatedLabels = generatedLabels
        self.realLabels = realLabels
        self.generatedCells = generatedCells
        self.generatedPath = generatedPath
        self.realPath = realPath
        self.realGenes = realGenes
        self.trainingSentences = trainingSentences
    }
}

/// The registered metrics of `c2s evaluate generation`, in the order they run and are shown
/// (after the k-NN table and the mean profiles, which the evaluation computes itself). A new
/// generation metric is a type conforming to `EvaluationMetric` with `Input ==
/// GenerationMetricInput` (see `Metrics/`) and one line here.
public enum GenerationMetrics {
    public static let all: [any EvaluationMetric<GenerationMetricInput>.Type] = [
        SentenceQualityMetric.self,
        MMDMetric.self,
        GromovWassersteinMetric.self,
        TrainingOverlapMetric.self,
    ]
}
