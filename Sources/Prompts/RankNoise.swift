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
    /// seed gives the same order, whatever the thread or chunk that asks. With `keeping: k` the
    /// result holds only the first k genes of the new order (callers that show k genes need no
    /// more), which spares sorting and copying the rest.
    public func applied(to cell: CellRecord, seed: UInt64, keeping k: Int = .max) -> CellRecord {
        let n = cell.geneCount
        guard isActive, n > 1 else { return cell }
        var rng = SplitMix64(seed: seed)
        var keys = [Double](repeating: 0, count: n)
        for i in 0..<n { keys[i] = Foundation.log(Double(i + 1)) + sigma * rng.gaussian() }
        let order = Self.smallestKeys(keys, count: max(0, min(k, n)))
        return CellRecord(name: cell.name, sentence: Self.words(of: cell.sentence, count: n, in: order), fields: cell.fields)
    }

    /// The indices of the `count` smallest keys in key order, equal keys in index order (so the
    /// result depends on the keys alone). Keys grow with the index on average, so a later index
    /// rarely displaces one already kept: a sorted list of `count` with insertion is enough.
    static func smallestKeys(_ keys: [Double], count: Int) -> [Int] {
        guard count > 0 else { return [] }
        @inline(__always) func before(_ a: Int, _ b: Int) -> Bool { keys[a] < keys[b] || (keys[a] == keys[b] && a < b) }
        var kept = Array(0..<count).sorted(by: before)
        for i in count..<keys.count where before(i, kept[count - 1]) {
            var lo = 0, hi = count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if before(i, kept[mid]) { hi = mid } else { lo = mid + 1 }
            }
            kept.removeLast()
            kept.insert(i, at: lo)
        }
        return kept
    }

    /// The words of `sentence` (`count` of them, separated by spaces) at positions `order`,
    /// joined by single spaces.
    static func words(of sentence: String, count: Int, in order: [Int]) -> String {
        var sentence = sentence
        return sentence.withUTF8 { bytes in
            // Where each word starts and ends, found by one scan of the bytes.
            var start = [Int](repeating: 0, count: count), end = [Int](repeating: 0, count: count)
            var w = 0, inWord = false
            for i in 0..<bytes.count where w < count {
                if bytes[i] == 32 {
                    if inWord { end[w] = i; w += 1; inWord = false }
                } else if !inWord {
                    start[w] = i; inWord = true
                }
            }
            if inWord { end[w] = bytes.count }
            var out: [UInt8] = []
            out.reserveCapacity(order.reduce(0) { $0 + end[$1] - start[$1] + 1 })
            for (j, word) in order.enumerated() {
                if j > 0 { out.append(32) }
                out.append(contentsOf: bytes[start[word]..<end[word]])
            }
            return String(decoding: out, as: UTF8.self)
        }
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
    /// `keeping`: as in `applied(to:seed:keeping:)`.
    public func copies(of cell: CellRecord, count: Int, seed: UInt64, keeping k: Int = .max) -> [CellRecord] {
        let stream = SplitMix64.derive(seed ^ 0x7E57_C0DE, SeededOrder.stream([cell.name]))
        return (0..<max(0, count)).map { applied(to: cell, seed: SplitMix64.derive(stream, UInt64($0)), keeping: k) }
    }
}
