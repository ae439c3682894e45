/// The real-vs-real k-NN accuracy on the generated cells' label mix: the score a perfect
/// generator would reach on the cells that were actually generated.
///
/// Real cells come in their natural proportions, where large, distinct types (often the easiest)
/// dominate the per-cell accuracy; generated cells usually come in equal numbers per label, so
/// small types that even real cells of their type rarely match weigh as much as the large ones.
/// Reweighting each label's real-vs-real accuracy by its share of the generated cells compares
/// like with like: Σ_l (generated cells of l / generated cells) × real-vs-real accuracy of l. A
/// generated label without real cells contributes 0 (no real cell could be matched to it).
public struct MixMatchedCeiling: Codable, Sendable, Equatable {
    /// The space of the two rows it is computed from ("expression", "pca", "sentence").
    public var space: String
    /// The real-vs-real row whose per-label accuracies are reweighted.
    public var realRow: String
    /// The generated row whose label mix supplies the weights.
    public var generatedRow: String
    /// Reweighted accuracy at each k of the real row (same ks).
    public var scores: [Score]
    /// Generated labels that no real query cell has (weighted in at accuracy 0).
    public var labelsWithoutRealCells: [String]

    public struct Score: Codable, Sendable, Equatable {
        public var k: Int
        public var accuracy: Double
    }

    enum CodingKeys: String, CodingKey {
        case space, scores
        case realRow = "real_row", generatedRow = "generated_row", labelsWithoutRealCells = "labels_without_real_cells"
    }

    /// `real`'s per-label accuracies weighted by the label shares of `generated`'s query cells.
    public init(real: KNNAccuracyRow, generated: KNNAccuracyRow) {
        space = real.space
        realRow = real.name
        generatedRow = generated.name
        let byLabel = Dictionary(real.perLabel.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        let total = Double(generated.queryCount)
        scores = real.scores.enumerated().map { i, s in
            var sum = 0.0
            for g in generated.perLabel {
                guard let r = byLabel[g.label], r.cells > 0 else { continue }
                sum += Double(g.cells) / total * r.accuracy[i]
            }
            return Score(k: s.k, accuracy: total > 0 ? sum : .nan)
        }
        labelsWithoutRealCells = generated.perLabel.filter { byLabel[$0.label].map { $0.cells == 0 } ?? true }.map(\.label)
    }

    /// One ceiling per space that has both a "generated vs real" and a "real vs real" row.
    public static func all(in rows: [KNNAccuracyRow]) -> [MixMatchedCeiling] {
        rows.filter { $0.name.hasPrefix("generated vs real") }.compactMap { g in
            rows.first { $0.space == g.space && $0.name.hasPrefix("real vs real") }.map { MixMatchedCeiling(real: $0, generated: g) }
        }
    }
}
