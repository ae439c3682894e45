import Mechanics

/// One cell type's real-vs-real mean-profile Pearson at the generated cell count.
public struct ProfileCeilingAgreement: Codable, Sendable, Equatable {
    public var label: String
    /// Real cells drawn per draw: the type's generated cell count, at most half its real cells
    /// (fewer than generated when the type has fewer than twice as many real cells).
    public var drawnCells: Int
    public var realCells: Int
    /// Mean over the draws of Pearson's r over genes (NaN when every draw's is undefined).
    @NullableMetric public var pearson: Double

    enum CodingKeys: String, CodingKey {
        case label, pearson
        case drawnCells = "drawn_cells", realCells = "real_cells"
    }
}

/// The real-vs-real reference of the mean-profile Pearson: what a generator whose cells were
/// real cells of the right type would score with as many cells as were generated. A mean over
/// 40 cells is noisy, so even real cells do not reach 1; a model's figure is read between the
/// label-blind null (``ProfileNullResult``) and this.
public struct ProfileCeilingResult: Codable, Sendable, Equatable {
    /// Seeded draws per type.
    public var draws: Int
    /// One entry per cell type scored by the mean profiles (with at least two real cells), in
    /// the same order.
    public var perType: [ProfileCeilingAgreement]
    /// Mean over the types where Pearson is defined (NaN when none is).
    @NullableMetric public var meanPearson: Double

    enum CodingKeys: String, CodingKey {
        case draws, perType = "per_type", meanPearson = "mean_pearson"
    }
}

/// Computes `ProfileCeilingResult`.
public enum ProfileCeiling {
    /// For each label of `types` with g generated cells (`generatedCounts`, same order) and r
    /// real ones: `draws` times, draw m = min(g, ⌊r / 2⌋) of the type's `real` rows (seeded by
    /// `seed` and the label's position) and take Pearson over genes between their mean and the
    /// mean of the type's other real rows; average over the draws. Both sides are then means of
    /// at least m cells. The rest is smaller than the whole type the generated cells are
    /// compared with, and where r < 2g fewer cells than generated are drawn, so the figure
    /// underestimates the ceiling a little, and for types with few real cells more.
    public static func compute(real: FeatureRows, realLabels: [String], types: [String], generatedCounts: [Int],
                               draws: Int = 20, seed: UInt64 = 0) -> ProfileCeilingResult {
        precondition(real.rowCount == realLabels.count && types.count == generatedCounts.count && draws > 0)
        var rows: [String: [Int]] = [:]
        for (i, l) in realLabels.enumerated() { rows[l, default: []].append(i) }
        var perType: [ProfileCeilingAgreement] = []
        for (t, label) in types.enumerated() {
            guard let members = rows[label], members.count >= 2, generatedCounts[t] >= 1 else { continue }
            let m = min(generatedCounts[t], members.count / 2)
            let all = real.mean(rows: members)
            var rng = SplitMix64(seed: SplitMix64.derive(seed, UInt64(t)))
            var pool = members
            let n = Double(members.count), k = Double(m)
            var sum = 0.0, defined = 0
            for _ in 0..<draws {
                // A partial Fisher-Yates shuffle: the first m of `pool` are the draw.
                for i in 0..<m {
                    let j = i + Int(rng.next() % UInt64(pool.count - i))
                    pool.swapAt(i, j)
                }
                let drawn = real.mean(rows: Array(pool[..<m]))
                // The rest's mean from the type's mean: (n·all − m·drawn) / (n − m).
                let rest = zip(all, drawn).map { (n * $0 - k * $1) / (n - k) }
                let r = Agreement.pearson(drawn, rest)
                if !r.isNaN { sum += r; defined += 1 }
            }
            perType.append(ProfileCeilingAgreement(label: label, drawnCells: m, realCells: members.count,
                                                   pearson: defined == 0 ? .nan : sum / Double(defined)))
        }
        let defined = perType.map(\.pearson).filter { !$0.isNaN }
        return ProfileCeilingResult(draws: draws, perType: perType,
                                    meanPearson: defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count))
    }
}
