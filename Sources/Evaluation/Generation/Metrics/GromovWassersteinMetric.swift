import Foundation
import Mechanics

/// Gromov-Wasserstein between subsamples of generated and real cells.
public struct GromovWassersteinSection: Codable, Sendable {
    public var space: String
    public var generatedCells: Int
    public var realCells: Int
    /// Both distance matrices were divided by this number: the largest distance between the
    /// real cells of the subsample (keeps the entropic kernel in range and the two sets on one scale).
    public var distanceScale: Double
    public var settings: GromovWassersteinSettings
    public var result: GromovWassersteinResult

    enum CodingKeys: String, CodingKey {
        case space, settings, result
        case generatedCells = "generated_cells", realCells = "real_cells", distanceScale = "distance_scale"
    }
}

/// Entropic Gromov-Wasserstein (``GromovWasserstein``) between seeded subsamples of `gwCells`
/// generated and real cells, on their Euclidean distances within each set, under
/// "gromov_wasserstein"; absent (with a warning) when the real cells of the subsample are all
/// identical.
public enum GromovWassersteinMetric: EvaluationMetric {
    public static let key = "gromov_wasserstein"
    public static let stage: String? = "Gromov-Wasserstein"

    public static func compute(_ input: GenerationMetricInput, warnings: inout [String]) throws -> GromovWassersteinSection? {
        let settings = input.settings, genX = input.generated, refX = input.real, dims = genX.columnCount
        let gwGen = SeededSubsample.indices(count: genX.rowCount, size: settings.gwCells, seed: SplitMix64.derive(settings.seed, 3))
        let gwRef = SeededSubsample.indices(count: refX.rowCount, size: settings.gwCells, seed: SplitMix64.derive(settings.seed, 4))
        var c1 = PairwiseDistances.within(genX.dense(rows: gwGen), rows: gwGen.count, dimensions: dims, threads: settings.threads)
        var c2 = PairwiseDistances.within(refX.dense(rows: gwRef), rows: gwRef.count, dimensions: dims, threads: settings.threads)
        let scale = c2.max() ?? 0
        guard scale > 0 else {
            warnings.append("Gromov-Wasserstein skipped: the real cells of the subsample are all identical")
            return nil
        }
        for i in 0..<c1.count { c1[i] /= scale }
        for i in 0..<c2.count { c2[i] /= scale }
        let result = try GromovWasserstein.solve(c1, n: gwGen.count, c2, m: gwRef.count, settings: settings.gromovWasserstein, threads: settings.threads)
        if result.massError > 1e-5 || result.sinkhornNumericalErrors > 0 {
            warnings.append("Gromov-Wasserstein: the solver failed to produce a transport plan (mass error \(result.massError)); try a larger --gw-epsilon")
        }
        return GromovWassersteinSection(space: input.space, generatedCells: gwGen.count, realCells: gwRef.count, distanceScale: scale,
                                        settings: settings.gromovWasserstein, result: result)
    }

    public static func summary(_ g: GromovWassersteinSection) -> [String] {
        ["Gromov-Wasserstein (\(g.generatedCells) vs \(g.realCells) cells, epsilon \(g.settings.epsilon)): \(String(format: "%.4g", g.result.loss))"]
    }

    public static func details(_ w: GromovWassersteinSection) -> [MetricDetail] {
        [MetricDetail("Gromov-Wasserstein (entropic, ε \(w.settings.epsilon))", HeadlineFigure.Unit.number.format(w.result.loss))]
    }
}
