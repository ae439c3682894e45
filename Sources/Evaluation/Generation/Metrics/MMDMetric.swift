import Foundation
import Mechanics

/// MMD between subsamples of generated and real cells.
public struct MMDSection: Codable, Sendable {
    public var space: String
    public var result: MMDResult
}

/// Squared maximum mean discrepancy (``MaximumMeanDiscrepancy``: RBF kernel, median heuristic)
/// between seeded subsamples of `mmdCells` generated and real cells in the evaluation's space,
/// under "mmd".
public enum MMDMetric: EvaluationMetric {
    public static let key = "mmd"
    public static let stage: String? = "MMD"

    public static func compute(_ input: GenerationMetricInput, warnings: inout [String]) throws -> MMDSection? {
        let settings = input.settings, genX = input.generated, refX = input.real
        let mmdGen = SeededSubsample.indices(count: genX.rowCount, size: settings.mmdCells, seed: SplitMix64.derive(settings.seed, 1))
        let mmdRef = SeededSubsample.indices(count: refX.rowCount, size: settings.mmdCells, seed: SplitMix64.derive(settings.seed, 2))
        return MMDSection(space: input.space, result: MaximumMeanDiscrepancy.compute(genX.dense(rows: mmdGen), rows: mmdGen.count,
                                                                                     refX.dense(rows: mmdRef), rows: mmdRef.count,
                                                                                     dimensions: genX.columnCount, threads: settings.threads))
    }

    public static func summary(_ m: MMDSection) -> [String] {
        ["MMD^2 (\(m.result.firstCount) vs \(m.result.secondCount) cells): \(String(format: "%.4g", m.result.mmd2Biased)) (biased), \(String(format: "%.4g", m.result.mmd2Unbiased)) (unbiased)"]
    }

    public static func details(_ m: MMDSection) -> [MetricDetail] {
        let f = HeadlineFigure.Unit.number
        return [MetricDetail("MMD² (\(m.space), biased / unbiased)", "\(f.format(m.result.mmd2Biased)) / \(f.format(m.result.mmd2Unbiased))")]
    }
}
