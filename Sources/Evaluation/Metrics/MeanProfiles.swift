/// Agreement of the mean generated cell with the mean real cell of one cell type.
public struct ProfileAgreement: Codable, Sendable, Equatable {
    public var label: String
    public var generatedCells: Int
    public var realCells: Int
    /// Pearson's r over genes (`scipy.stats.pearsonr`; NaN when a mean profile is constant).
    @NullableMetric public var pearson: Double
    /// Spearman's rho over genes (`scipy.stats.spearmanr`, average ranks for ties).
    @NullableMetric public var spearman: Double
    /// `sklearn.metrics.r2_score(real mean, generated mean)`: the generated mean as a prediction
    /// of the real mean.
    @NullableMetric public var r2: Double
    /// The square of `pearson`, for comparison with papers that report it as R^2.
    @NullableMetric public var pearsonSquared: Double

    enum CodingKeys: String, CodingKey {
        case label, pearson, spearman, r2
        case generatedCells = "generated_cells", realCells = "real_cells", pearsonSquared = "pearson_squared"
    }
}

/// Mean-profile agreement over all cell types present in both sets.
public struct MeanProfileResult: Codable, Sendable {
    /// One entry per cell type present in both sets, in ``ClassLabels`` order.
    public var perType: [ProfileAgreement]
    /// Means of each statistic over the types where it is defined (NaN when none is).
    @NullableMetric public var meanPearson: Double
    @NullableMetric public var meanSpearman: Double
    @NullableMetric public var meanR2: Double
    /// Types present only among generated or only among real cells (not scored).
    public var onlyGenerated: [String]
    public var onlyReal: [String]
    /// Per type (same order as `perType`) the mean generated and mean real profiles over the
    /// genes, for scatter plots; not written to JSON.
    public var profiles: [(generated: [Double], real: [Double])] = []

    enum CodingKeys: String, CodingKey {
        case perType = "per_type", meanPearson = "mean_pearson", meanSpearman = "mean_spearman", meanR2 = "mean_r2"
        case onlyGenerated = "only_generated", onlyReal = "only_real"
    }
}

/// Mean generated vs mean real cell per cell type, over genes.
public enum MeanProfiles {
    /// Compares the rows of `generated` labelled t with the rows of `real` labelled t, for every
    /// label t in both; both matrices have the same genes (columns).
    public static func compare(generated: FeatureRows, generatedLabels: [String], real: FeatureRows, realLabels: [String]) -> MeanProfileResult {
        precondition(generated.columnCount == real.columnCount)
        precondition(generated.rowCount == generatedLabels.count && real.rowCount == realLabels.count)
        var genRows: [String: [Int]] = [:], realRows: [String: [Int]] = [:]
        for (i, l) in generatedLabels.enumerated() { genRows[l, default: []].append(i) }
        for (i, l) in realLabels.enumerated() { realRows[l, default: []].append(i) }
        let both = ClassLabels(genRows.keys.filter { realRows[$0] != nil })
        var perType: [ProfileAgreement] = []
        var profiles: [(generated: [Double], real: [Double])] = []
        for label in both.names {
            let g = generated.mean(rows: genRows[label]!), r = real.mean(rows: realRows[label]!)
            let pearson = Agreement.pearson(g, r)
            perType.append(ProfileAgreement(label: label, generatedCells: genRows[label]!.count, realCells: realRows[label]!.count,
                                            pearson: pearson, spearman: Agreement.spearman(g, r),
                                            r2: Agreement.rSquared(truth: r, predicted: g), pearsonSquared: pearson * pearson))
            profiles.append((g, r))
        }
        func mean(_ values: [Double]) -> Double {
            let defined = values.filter { !$0.isNaN }
            return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
        }
        return MeanProfileResult(perType: perType, meanPearson: mean(perType.map(\.pearson)),
                                 meanSpearman: mean(perType.map(\.spearman)), meanR2: mean(perType.map(\.r2)),
                                 onlyGenerated: ClassLabels(genRows.keys.filter { realRows[$0] == nil }).names,
                                 onlyReal: ClassLabels(realRows.keys.filter { genRows[$0] == nil }).names,
                                 profiles: profiles)
    }
}
