import Foundation
import SingleCell

/// One gene's response, for the table of top DE genes.
public struct GeneResponse: Codable, Sendable {
    public var gene: String
    public var trueResponse: Double
    public var predictedResponse: Double

    enum CodingKeys: String, CodingKey { case gene, trueResponse = "true_response", predictedResponse = "predicted_response" }
}

/// The mean-response baseline and how well it does.
public struct PerturbationBaselineResult: Codable, Sendable {
    /// The cell types whose responses were averaged (each weighted equally).
    public var cellTypes: [String]
    public var correlations: [ResponseCorrelation]
    /// The trivial predictor beside it: the mean over the types of their perturbed means, taken
    /// as the predicted cells (it ignores the control cells; optional for older reports).
    public var perturbedMeanCorrelations: [ResponseCorrelation]?

    enum CodingKeys: String, CodingKey { case cellTypes = "cell_types", correlations, perturbedMeanCorrelations = "perturbed_mean_correlations" }
}

/// One group's (cell type's) predicted and true response, and its baseline.
public struct PerturbationGroupResult: Codable, Sendable {
    public var group: String
    /// Cells of the group in the predicted, control and true files.
    public var predictedCells: Int
    public var controlCells: Int
    public var trueCells: Int
    public var correlations: [ResponseCorrelation]
    /// `same_type`: the group's own mean shift in the baseline files (perturbed mean − control
    /// mean of that type); `other_types`: the mean of the baseline types' shifts, for a type the
    /// baseline files lack (a held-out type); nil without baseline files.
    public var baselineKind: String?
    public var baselineCorrelations: [ResponseCorrelation]?
    /// The trivial predictor: the group's perturbed mean in the baseline files (of the same kind
    /// as `baselineKind`) taken as the predicted cells, ignoring the control cells. The metric
    /// subtracts the evaluated control cells' mean from prediction and truth alike, so this
    /// shares the truth's control-sampling noise, which the mean shift does not: it is the
    /// harder of the two baselines on small test splits.
    public var perturbedMeanCorrelations: [ResponseCorrelation]?

    enum CodingKeys: String, CodingKey {
        case group, correlations
        case predictedCells = "predicted_cells", controlCells = "control_cells", trueCells = "true_cells"
        case baselineKind = "baseline_kind", baselineCorrelations = "baseline_correlations"
        case perturbedMeanCorrelations = "perturbed_mean_correlations"
    }
}

/// Per-group results summarised: the mean Pearson r over groups, and how many groups the
/// prediction beats the baseline in, for each N.
public struct PerturbationGroupSummary: Codable, Sendable {
    public var topN: Int?
    public var groups: Int
    @NullableMetric public var meanPearson: Double
    @NullableMetric public var baselineMeanPearson: Double
    /// Groups where the prediction's r is above the baseline's (nil without a baseline).
    public var aboveBaseline: Int?
    /// The same for the perturbed-mean predictor (nil without a baseline or in older reports).
    public var perturbedMeanMeanPearson: Double?
    public var abovePerturbedMean: Int?

    enum CodingKeys: String, CodingKey {
        case topN = "top_n", groups, meanPearson = "mean_pearson", baselineMeanPearson = "baseline_mean_pearson"
        case aboveBaseline = "above_baseline", perturbedMeanMeanPearson = "perturbed_mean_mean_pearson"
        case abovePerturbedMean = "above_perturbed_mean"
    }
}

/// Everything `c2s evaluate perturbation` measures.
public struct PerturbationReport: Codable, Sendable {
    public var inputs: [InputSummary]
    /// Genes shared by all files, in the true file's order.
    public var sharedGenes: Int
    public var correlations: [ResponseCorrelation]
    public var baseline: PerturbationBaselineResult?
    /// The top DE genes of the true response (at most 50) with both responses.
    public var topGenes: [GeneResponse]
    /// With a group column: the obs column, each group's results and their summary.
    public var groupColumn: String?
    public var groups: [PerturbationGroupResult]?
    public var groupSummary: [PerturbationGroupSummary]?
    /// The registered metrics (``PerturbationMetrics``), each in the JSON under its own key.
    public var registered: MetricValues<PerturbationMetricInput>
    public var warnings: [String]

    public init(inputs: [InputSummary], sharedGenes: Int, correlations: [ResponseCorrelation], baseline: PerturbationBaselineResult?,
                topGenes: [GeneResponse], groupColumn: String?, groups: [PerturbationGroupResult]?, groupSummary: [PerturbationGroupSummary]?,
                registered: MetricValues<PerturbationMetricInput> = MetricValues(), warnings: [String]) {
        self.inputs = inputs
        self.sharedGenes = sharedGenes
        self.correlations = correlations
        self.baseline = baseline
        self.topGenes = topGenes
        self.groupColumn = groupColumn
        self.groups = groups
        self.groupSummary = groupSummary
        self.registered = registered
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case inputs, correlations, baseline, warnings, groups, sharedGenes = "shared_genes", topGenes = "top_genes"
        case groupColumn = "group_column", groupSummary = "group_summary"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inputs = try c.decode([InputSummary].self, forKey: .inputs)
        sharedGenes = try c.decode(Int.self, forKey: .sharedGenes)
        correlations = try c.decode([ResponseCorrelation].self, forKey: .correlations)
        baseline = try c.decodeIfPresent(PerturbationBaselineResult.self, forKey: .baseline)
        topGenes = try c.decode([GeneResponse].self, forKey: .topGenes)
        groupColumn = try c.decodeIfPresent(String.self, forKey: .groupColumn)
        groups = try c.decodeIfPresent([PerturbationGroupResult].self, forKey: .groups)
        groupSummary = try c.decodeIfPresent([PerturbationGroupSummary].self, forKey: .groupSummary)
        registered = try MetricValues(from: decoder, metrics: PerturbationMetrics.all)
        warnings = try c.decode([String].self, forKey: .warnings)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inputs, forKey: .inputs)
        try c.encode(sharedGenes, forKey: .sharedGenes)
        try c.encode(correlations, forKey: .correlations)
        try c.encodeIfPresent(baseline, forKey: .baseline)
        try c.encode(topGenes, forKey: .topGenes)
        try c.encodeIfPresent(groupColumn, forKey: .groupColumn)
        try c.encodeIfPresent(groups, forKey: .groups)
        try c.encodeIfPresent(groupSummary, forKey: .groupSummary)
        try registered.encode(to: encoder)
        try c.encode(warnings, forKey: .warnings)
    }
}

/// Predicted against true perturbation response (see ``PerturbationResponse``).
public enum PerturbationEvaluation {
    /// The training-cell-type files for the baseline.
    public struct BaselineInput {
        public var control: ExpressionMatrix
        public var perturbed: ExpressionMatrix
        public var labelColumn: String
        /// Cell types left out of the baseline (e.g. the held-out type, if the files have it).
        public var excluded: Set<String>

        public init(control: ExpressionMatrix, perturbed: ExpressionMatrix, labelColumn: String, excluded: Set<String> = []) {
            self.control = control
            self.perturbed = perturbed
            self.labelColumn = labelColumn
            self.excluded = excluded
        }
    }

    /// Compares the mean of `predicted` minus the mean of `control` with the mean of `truth`
    /// minus the mean of `control` over the top N DE genes (N in `topN`, nil for all). With
    /// `groupBy` (an obs column of the three files, e.g. the cell type), each group present in
    /// all three is also scored on its own cells, against its own baseline (see
    /// ``PerturbationGroupResult``).
    public static func run(predicted: ExpressionMatrix, control: ExpressionMatrix, truth: ExpressionMatrix, baseline: BaselineInput? = nil,
                           topN: [Int?] = [20, 50, nil], groupBy: String? = nil,
                           metrics: [any EvaluationMetric<PerturbationMetricInput>.Type] = PerturbationMetrics.all) throws -> PerturbationReport {
        var files: [(path: String, genes: [String])] = [(truth.path, truth.genes), (control.path, control.genes), (predicted.path, predicted.genes)]
        if let baseline { files += [(baseline.control.path, baseline.control.genes), (baseline.perturbed.path, baseline.perturbed.genes)] }
        let alignment = try GeneAlignment(files)
        var warnings: [String] = []
        for t in [truth, control, predicted] where t.matrix.rowCount == 0 { throw DataError("\(t.path): no cells") }
        func mean(_ t: ExpressionMatrix, _ columns: [Int], rows: [Int]? = nil) -> [Double] {
            t.matrix.selecting(columns: columns).mean(rows: rows ?? Array(0..<t.matrix.rowCount))
        }
        let controlMean = mean(control, alignment.columns[1])
        let trueResponse = PerturbationResponse.difference(mean(truth, alignment.columns[0]), controlMean)
        let predictedResponse = PerturbationResponse.difference(mean(predicted, alignment.columns[2]), controlMean)
        let correlations = PerturbationResponse.correlations(predicted: predictedResponse, truth: trueResponse, topN: topN)
        let order = PerturbationResponse.deRanking(trueResponse: trueResponse)
        let top = order.prefix(50).map { GeneResponse(gene: alignment.genes[$0], trueResponse: trueResponse[$0], predictedResponse: predictedResponse[$0]) }

        var inputs = zip(["true", "control", "predicted"], [truth, control, predicted]).enumerated().map { i, pair in
            InputSummary(role: pair.0, path: pair.1.path, cells: pair.1.matrix.rowCount, genes: pair.1.genes.count,
                         genesNotShared: alignment.dropped[i], cellsWithoutLabel: 0)
        }
        var baselineResult: PerturbationBaselineResult?
        // Each baseline type's response (perturbed mean − control mean), and their mean.
        var typeResponses: [String: [Double]] = [:]
        var meanTypeResponse: [Double]?
        // Each baseline type's perturbed mean, and their mean.
        var typePerturbed: [String: [Double]] = [:]
        var meanTypePerturbed: [Double] = []
        if let baseline {
            let c = try baseline.control.column(baseline.labelColumn), p = try baseline.perturbed.column(baseline.labelColumn)
            var controlRows: [String: [Int]] = [:], perturbedRows: [String: [Int]] = [:]
            for (i, l) in c.enumerated() { if let l, !baseline.excluded.contains(l) { controlRows[l, default: []].append(i) } }
            for (i, l) in p.enumerated() { if let l, !baseline.excluded.contains(l) { perturbedRows[l, default: []].append(i) } }
            let types = ClassLabels(controlRows.keys.filter { perturbedRows[$0] != nil }).names
            guard !types.isEmpty else {
                throw DataError("baseline: no cell type in '\(baseline.labelColumn)' has cells in both \(baseline.control.path) and \(baseline.perturbed.path)")
            }
            let onlyOne = Set(controlRows.keys).symmetricDifference(perturbedRows.keys)
            if !onlyOne.isEmpty { warnings.append("baseline: cell types in only one of the files were left out: \(ClassLabels(onlyOne).names.joined(separator: ", "))") }
            let controlMeans = types.map { mean(baseline.control, alignment.columns[3], rows: controlRows[$0]!) }
            let perturbedMeans = types.map { mean(baseline.perturbed, alignment.columns[4], rows: perturbedRows[$0]!) }
            for (k, type) in types.enumerated() {
                typeResponses[type] = PerturbationResponse.difference(perturbedMeans[k], controlMeans[k])
                typePerturbed[type] = perturbedMeans[k]
            }
            let response = PerturbationResponse.meanResponse(controlMeans: controlMeans, perturbedMeans: perturbedMeans)
            meanTypeResponse = response
            meanTypePerturbed = (0..<perturbedMeans[0].count).map { g in perturbedMeans.reduce(0) { $0 + $1[g] } / Double(types.count) }
            baselineResult = PerturbationBaselineResult(
                cellTypes: types, correlations: PerturbationResponse.correlations(predicted: response, truth: trueResponse, topN: topN),
                perturbedMeanCorrelations: PerturbationResponse.correlations(
                    predicted: PerturbationResponse.difference(meanTypePerturbed, controlMean), truth: trueResponse, topN: topN))
            inputs.append(InputSummary(role: "baseline_control", path: baseline.control.path, cells: baseline.control.matrix.rowCount,
                                       genes: baseline.control.genes.count, genesNotShared: alignment.dropped[3], cellsWithoutLabel: c.filter { $0 == nil }.count))
            inputs.append(InputSummary(role: "baseline_perturbed", path: baseline.perturbed.path, cells: baseline.perturbed.matrix.rowCount,
                                       genes: baseline.perturbed.genes.count, genesNotShared: alignment.dropped[4], cellsWithoutLabel: p.filter { $0 == nil }.count))
        }

        // The registered metrics, on the responses over all cells.
        let registered = try MetricValues.compute(
            metrics, input: PerturbationMetricInput(genes: alignment.genes, predictedResponse: predictedResponse, trueResponse: trueResponse,
                                                    baselineResponse: meanTypeResponse, topN: topN),
            warnings: &warnings)

        var groups: [PerturbationGroupResult]?
        var groupSummary: [PerturbationGroupSummary]?
        if let groupBy {
            func rowsByGroup(_ t: ExpressionMatrix) throws -> [String: [Int]] {
                var rows: [String: [Int]] = [:]
                for (i, l) in try t.column(groupBy).enumerated() { if let l { rows[l, default: []].append(i) } }
                return rows
            }
            let pr = try rowsByGroup(predicted), cr = try rowsByGroup(control), tr = try rowsByGroup(truth)
            let shared = ClassLabels(pr.keys.filter { cr[$0] != nil && tr[$0] != nil }).names
            guard !shared.isEmpty else {
                throw DataError("no value of '\(groupBy)' has cells in all of \(predicted.path), \(control.path) and \(truth.path)")
            }
            let unshared = Set(pr.keys).union(cr.keys).union(tr.keys).subtracting(shared)
            if !unshared.isEmpty {
                warnings.append("groups not in all three files were left out: \(ClassLabels(unshared).names.joined(separator: ", "))")
            }
            groups = shared.map { g in
                let controlMean = mean(control, alignment.columns[1], rows: cr[g]!)
                let trueResponse = PerturbationResponse.difference(mean(truth, alignment.columns[0], rows: tr[g]!), controlMean)
                let predictedResponse = PerturbationResponse.difference(mean(predicted, alignment.columns[2], rows: pr[g]!), controlMean)
                var result = PerturbationGroupResult(
                    group: g, predictedCells: pr[g]!.count, controlCells: cr[g]!.count, trueCells: tr[g]!.count,
                    correlations: PerturbationResponse.correlations(predicted: predictedResponse, truth: trueResponse, topN: topN))
                if let meanTypeResponse {
                    let own = typeResponses[g]
                    result.baselineKind = own == nil ? "other_types" : "same_type"
                    result.baselineCorrelations = PerturbationResponse.correlations(predicted: own ?? meanTypeResponse, truth: trueResponse, topN: topN)
                    result.perturbedMeanCorrelations = PerturbationResponse.correlations(
                        predicted: PerturbationResponse.difference(typePerturbed[g] ?? meanTypePerturbed, controlMean), truth: trueResponse, topN: topN)
                }
                return result
            }
            groupSummary = topN.indices.map { k in
                let model = groups!.map { $0.correlations[k].pearson }
                let base = groups!.compactMap { $0.baselineCorrelations?[k].pearson }
                let trivial = groups!.compactMap { $0.perturbedMeanCorrelations?[k].pearson }
                func average(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }
                return PerturbationGroupSummary(
                    topN: topN[k], groups: model.count, meanPearson: average(model), baselineMeanPearson: average(base),
                    aboveBaseline: base.isEmpty ? nil : zip(model, base).filter { $0 > $1 }.count,
                    perturbedMeanMeanPearson: trivial.isEmpty ? nil : average(trivial),
                    abovePerturbedMean: trivial.isEmpty ? nil : zip(model, trivial).filter { $0 > $1 }.count)
            }
        }
        return PerturbationReport(inputs: inputs, sharedGenes: alignment.genes.count, correlations: correlations,
                                  baseline: baselineResult, topGenes: Array(top), groupColumn: groupBy, groups: groups,
                                  groupSummary: groupSummary, registered: registered, warnings: warnings)
    }
}
