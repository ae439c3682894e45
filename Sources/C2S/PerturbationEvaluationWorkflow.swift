import Evaluation

/// The files of the mean-response baseline of `c2s evaluate perturbation`: control and
/// perturbed cells of the training cell types.
public struct PerturbationBaselineFiles: Sendable {
    public var control: String
    public var perturbed: String
    /// The obs column with the cell type in both files.
    public var labelColumn = "cell_type"
    /// Cell types left out of the baseline (e.g. the held-out type).
    public var excluded: Set<String> = []

    public init(control: String, perturbed: String) {
        self.control = control
        self.perturbed = perturbed
    }
}

/// What `c2s evaluate perturbation` compares: the predicted and the true perturbed cells,
/// each against the control cells, optionally beside the baseline and per group.
public struct PerturbationEvaluationWorkflowSettings: Sendable {
    /// Expression files of the predicted perturbed, control and true perturbed cells.
    public var predicted: String
    public var control: String
    public var truth: String
    /// Numbers of top DE genes scored (nil: every gene).
    public var topN: [Int?] = [20, 50, nil]
    public var baseline: PerturbationBaselineFiles?
    /// An obs column of the three files whose values are also scored on their own cells.
    public var groupBy: String?

    public init(predicted: String, control: String, truth: String) {
        self.predicted = predicted
        self.control = control
        self.truth = truth
    }
}

/// `c2s evaluate perturbation`: reads the files and scores the predicted response against the
/// true one (``PerturbationEvaluation``). Nothing is written: the caller writes the report.
public enum PerturbationEvaluationWorkflow {
    /// Errors name the file (unreadable, no cells, no shared genes, a missing column).
    public static func run(_ s: PerturbationEvaluationWorkflowSettings) throws -> PerturbationReport {
        let p = try ExpressionMatrix.read(s.predicted), c = try ExpressionMatrix.read(s.control), t = try ExpressionMatrix.read(s.truth)
        let baseline = try s.baseline.map { b in
            PerturbationEvaluation.BaselineInput(control: try ExpressionMatrix.read(b.control), perturbed: try ExpressionMatrix.read(b.perturbed),
                                                 labelColumn: b.labelColumn, excluded: b.excluded)
        }
        return try PerturbationEvaluation.run(predicted: p, control: c, truth: t, baseline: baseline, topN: s.topN, groupBy: s.groupBy)
    }
}
