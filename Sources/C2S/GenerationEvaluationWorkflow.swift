import Evaluation
import Foundation
import SingleCell

/// Where the training overlap's cells come from: the training split and a held-out split of
/// a sentence dataset.
public struct TrainingOverlapSource: Sendable {
    /// The sentence dataset (a `c2s convert` folder or its `cells.jsonl`).
    public var sentences: String
    /// The splits.json naming each cell's split.
    public var splits: String
    /// The held-out split compared with the training split; when it is the training split
    /// itself, the overlap is left out with a warning.
    public var heldOutSplit: String

    public init(sentences: String, splits: String, heldOutSplit: String) {
        self.sentences = sentences
        self.splits = splits
        self.heldOutSplit = heldOutSplit
    }
}

/// What `c2s evaluate generation` evaluates: generated against real cells (with `generated`
/// and `real`), the label-swap test (with `labelSwap`), or both.
public struct GenerationEvaluationWorkflowSettings: Sendable {
    /// Generated cells and real held-out cells (expression files); both or neither.
    public var generated: String?
    public var real: String?
    /// Real training cells for the real-vs-real reference row.
    public var realTrain: String?
    /// The metrics' settings (label columns, k, PCA, MMD and GW, threads, …).
    public var metrics = GenerationSettings()
    /// The training overlap's cells (used only with `generated`).
    public var trainingOverlap: TrainingOverlapSource?
    /// The label-swap test's model and cells.
    public var labelSwap: LabelSwapSettings?
    /// Whether to tabulate the mean profiles (``GenerationEvaluationWorkflow/Result/profilesCSV``).
    public var profiles = false

    public init() {}
}

/// `c2s evaluate generation`: the label-swap test prepared first (so that a bad model or
/// cell file fails at once), the training overlap's references read, the generated, real and
/// real training cells read and evaluated (``GenerationEvaluation``), then the label-swap
/// test run. Nothing is written: the caller writes the result.
public enum GenerationEvaluationWorkflow {
    /// What the workflow tells while it runs.
    public enum Event: Sendable {
        /// A step begins (e.g. "reading", a metric's stage).
        case step(String)
        /// Something the user should know; the run goes on.
        case warning(String)
        /// The label-swap test begins on `cells` cells offered and `labels` labels.
        case labelSwapStarted(cells: Int, labels: Int)
        /// Progress of the label-swap test in scored (cell, label) pairs.
        case labelSwapProgress(done: Int, total: Int)
        /// The label-swap test has ended (also when it failed).
        case labelSwapFinished
    }

    /// What the workflow measured.
    public struct Result {
        /// The generation metrics (nil without generated cells) and the label-swap test (nil
        /// without a model), as `c2s evaluate generation` writes them.
        public var metrics: GenerationMetricsFile
        /// The mean profiles as CSV (``GenerationReport/meanProfilesCSV(generated:real:realTrain:)``),
        /// when asked for and the generation metrics ran.
        public var profilesCSV: String?
    }

    /// Runs what `s` asks for. Errors name the file (unreadable inputs, a model without two
    /// learned labels, a split that keeps nothing) and come before any long work where they can.
    public static func run(_ s: GenerationEvaluationWorkflowSettings, onEvent: @escaping (Event) -> Void = { _ in }) throws -> Result {
        let setup = try s.labelSwap.map { try LabelSwapSetup.load($0, warning: { onEvent(.warning($0)) }) }
        let references = try trainingOverlapReferences(s, onEvent: onEvent)
        var report: GenerationReport?
        var profilesCSV: String?
        if let generated = s.generated, let real = s.real {
            onEvent(.step("reading"))
            let gen = try ExpressionMatrix.read(generated), ref = try ExpressionMatrix.read(real)
            let train = try s.realTrain.map { try ExpressionMatrix.read($0) }
            let r = try GenerationEvaluation.run(generated: gen, real: ref, realTrain: train, settings: s.metrics,
                                                 trainingSentences: references, progress: { onEvent(.step($0)) })
            if s.profiles { profilesCSV = try r.meanProfilesCSV(generated: gen, real: ref, realTrain: train) }
            report = r
        }
        let swapped = try setup.map { t -> LabelSwapResult in
            onEvent(.labelSwapStarted(cells: t.cells.count, labels: t.test.labels.count))
            defer { onEvent(.labelSwapFinished) }
            return try t.run(progress: { onEvent(.labelSwapProgress(done: $0, total: $1)) })
        }
        return Result(metrics: GenerationMetricsFile(report: report, labelSwap: swapped), profilesCSV: profilesCSV)
    }

    /// The training overlap's references, or nil: without generated cells or a source, and
    /// (with a warning) when the held-out split is the training split, since the overlap's
    /// reference must be held out even where the label-swap test may score training cells.
    static func trainingOverlapReferences(_ s: GenerationEvaluationWorkflowSettings,
                                          onEvent: (Event) -> Void) throws -> TrainingOverlap.References? {
        guard s.generated != nil, let o = s.trainingOverlap else { return nil }
        guard o.heldOutSplit != TrainingOverlap.References.trainingSplit else {
            onEvent(.warning("--split train: no training overlap (its reference is held-out cells)"))
            return nil
        }
        return try TrainingOverlap.References.load(sentences: o.sentences, splits: o.splits, heldOutSplit: o.heldOutSplit,
                                                   labelColumn: s.metrics.labelColumn, genes: s.metrics.sentenceGenes,
                                                   threads: s.metrics.threads)
    }
}
