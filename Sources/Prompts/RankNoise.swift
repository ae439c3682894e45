import CellSentences
import Foundation
import Mechanics
import SingleCell

/// Replicate-like noise on a cell's gene order, for training prompts that show the same cell
/// more than once.
///
/// Gene i of the sentence (rank i, from 0) gets the key log(i + 1) + σ·z with z standard normal,
/// and the genes are re-ranked by key. Expression within a cell falls roughly as a power of the
/// rank, so a multiplicative error on expression is an additive error on log rank: genes at the
/// top, with many counts, keep their places; genes deep in the sentence, whose few counts a
/// second measurement of the cell would change, trade places more often and move in and out of
/// the top k. A model that sees a cell several times then sees several plausible measurements of
/// it instead of one sentence it can memorise.
public struct RankNoise: Sendable, Equatable {
    /// σ of the noise on log rank (0: none).
    public let sigma: Double

    public init(sigma: Double) throws {
        guard sigma.isFinite, sigma >= 0 else { throw DataError("rank noise must be a finite number ≥ 0, got \(sigma)") }
        self.sigma = sigma
    }

    private init(checked sigma: Double) { self.sigma = sigma }

    /// No noise: sentences as measured.
    public static let none = RankNoise(checked: 0)

    /// Whether it changes anything.
    public var isActive: Bool { sigma > 0 }

    /// The cell with its sentence re-ranked by a noise stream of its own (`seed`): the same
    /// seed gives the same order, whatever the thread or chunk that asks.
    public func applied(to cell: CellRecord, seed: UInt64) -> CellRecord {
        guard isActive, cell.geneCount > 1 else { return cell }
        let genes = cell.sentence.split(separator: " ", omittingEmptySubsequences: true)
        var rng = SplitMix64(seed: seed)
        let keys = genes.indices.map { Foundation.log(Double($0 + 1)) + sigma * rng.gaussian() }
        // Ties (equal keys) keep the sentence's order, so the result depends on the keys alone.
        let order = genes.indices.sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
        return CellRecord(name: cell.name, sentence: order.map { genes[$0] }.joined(separator: " "), fields: cell.fields)
    }

    /// How many of a sentence's genes can reach its first `k` under this noise, so a caller
    /// loads that many instead of only k. Gene i overtakes rank k - 1 only when the difference
    /// of two draws (sd σ√2) exceeds log((i + 1) / k); past k·exp(5σ√2) genes that happens
    /// with probability below 3·10⁻⁷ per gene (σ = 0.3: 8.3 k genes). No noise: k.
    public func depth(showing k: Int) -> Int {
        guard isActive else { return k }
        let genes = Double(k) * Foundation.exp(5 * sigma * 2.0.squareRoot())
        return genes < 1e15 ? Int(genes.rounded(.up)) : Int.max
    }

    /// `count` noisy copies of a cell for reading it several times at test time (e.g.
    /// `c2s annotate --noisy-copies`): copy k's noise stream comes from (`seed`, the cell's
    /// name, k), so a cell gets the same copies whatever batch, chunk or thread reads it.
    public func copies(of cell: CellRecord, count: Int, seed: UInt64) -> [CellRecord] {
        let stream = SplitMix64.derive(seed ^ 0x7E57_C0DE, SeededOrder.stream([cell.name]))
        return (0..<max(0, count)).map { applied(to: cell, seed: SplitMix64.derive(stream, UInt64($0))) }
    }
}
