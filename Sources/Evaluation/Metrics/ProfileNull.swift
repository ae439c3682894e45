/// One cell type's real mean profile against the mean profile of all real cells.
public struct ProfileNullAgreement: Codable, Sendable, Equatable {
    public var label: String
    public var realCells: Int
    /// Pearson's r over genes (NaN when a profile is constant).
    @NullableMetric public var pearson: Double

    enum CodingKeys: String, CodingKey {
        case label, pearson
        case realCells = "real_cells"
    }
}

/// The null of the mean-profile Pearson: what a generator that ignores the label and always
/// outputs the average real cell would score. Cell types share most of their expression, so
/// this is usually high; a model's mean-profile Pearson means something only above it.
public struct ProfileNullResult: Codable, Sendable, Equatable {
    /// Real cells averaged into the all-cell profile.
    public var allRealCells: Int
    /// One entry per cell type scored by the mean profiles, in the same order.
    public var perType: [ProfileNullAgreement]
    /// Mean over the types where Pearson is defined (NaN when none is).
    @NullableMetric public var meanPearson: Double

    enum CodingKeys: String, CodingKey {
        case allRealCells = "all_real_cells", perType = "per_type", meanPearson = "mean_pearson"
    }
}

/// Computes `ProfileNullResult`.
public enum ProfileNull {
    /// For each label of `types`: Pearson over genes between the mean of the `real` rows with
    /// that label and the mean of every `real` row.
    public static func compute(real: FeatureRows, realLabels: [String], types: [String]) -> ProfileNullResult {
        precondition(real.rowCount == realLabels.count)
        var rows: [String: [Int]] = [:]
        for (i, l) in realLabels.enumerated() { rows[l, default: []].append(i) }
        let all = real.mean(rows: Array(0..<real.rowCount))
        let perType = types.compactMap { label -> ProfileNullAgreement? in
            guard let r = rows[label] else { return nil }
            return ProfileNullAgreement(label: label, realCells: r.count, pearson: Agreement.pearson(real.mean(rows: r), all))
        }
        let defined = perType.map(\.pearson).filter { !$0.isNaN }
        return ProfileNullResult(allRealCells: real.rowCount, perType: perType,
                                 meanPearson: defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count))
    }
}
