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

    enum CodingKeys: String, CodingKey { case cellTypes = "cell_types", correlations }
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
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case inputs, correlations, baseline, warnings, sharedGenes = "shared_genes", topGenes = "top_genes"
    }
}

/// Predicted against true perturbation response (see ``PerturbationResponse``).
public enum PerturbationEvaluation {
    /// The training-cell-type files for the baseline.
    public struct BaselineInput {
        public var control: CellTable
        public var perturbed: CellTable
        public var labelColumn: String
        /// Cell types left out of the baseline (e.g. the held-out type, if the files have it).
        public var excluded: Set<String>

        public init(control: CellTable, perturbed: CellTable, labelColumn: String, excluded: Set<String> = []) {
            self.control = control
            self.perturbed = perturbed
            self.labelColumn = labelColumn
            self.excluded = excluded
        }
    }

    /// Compares the mean of `predicted` minus the mean of `control` with the mean of `truth`
    /// minus the mean of `control` over the top N DE genes (N in `topN`, nil for all).
    public static func run(predicted: CellTable, control: CellTable, truth: CellTable, baseline: BaselineInput? = nil,
                           topN: [Int?] = [20, 50, nil]) throws -> PerturbationReport {
        var files: [(path: String, genes: [String])] = [(truth.path, truth.genes), (control.path, control.genes), (predicted.path, predicted.genes)]
        if let baseline { files += [(baseline.control.path, baseline.control.genes), (baseline.perturbed.path, baseline.perturbed.genes)] }
        let alignment = try GeneAlignment(files)
        var warnings: [String] = []
        for t in [truth, control, predicted] where t.matrix.rowCount == 0 { throw DataError("\(t.path): no cells") }
        func mean(_ t: CellTable, _ columns: [Int], rows: [Int]? = nil) -> [Double] {
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
            let response = PerturbationResponse.meanResponse(
                controlMeans: types.map { mean(baseline.control, alignment.columns[3], rows: controlRows[$0]!) },
                perturbedMeans: types.map { mean(baseline.perturbed, alignment.columns[4], rows: perturbedRows[$0]!) })
            baselineResult = PerturbationBaselineResult(cellTypes: types,
                                                        correlations: PerturbationResponse.correlations(predicted: response, truth: trueResponse, topN: topN))
            inputs.append(InputSummary(role: "baseline_control", path: baseline.control.path, cells: baseline.control.matrix.rowCount,
                                       genes: baseline.control.genes.count, genesNotShared: alignment.dropped[3], cellsWithoutLabel: c.filter { $0 == nil }.count))
            inputs.append(InputSummary(role: "baseline_perturbed", path: baseline.perturbed.path, cells: baseline.perturbed.matrix.rowCount,
                                       genes: baseline.perturbed.genes.count, genesNotShared: alignment.dropped[4], cellsWithoutLabel: p.filter { $0 == nil }.count))
        }
        return PerturbationReport(inputs: inputs, sharedGenes: alignment.genes.count, correlations: correlations,
                                  baseline: baselineResult, topGenes: Array(top), warnings: warnings)
    }
}
