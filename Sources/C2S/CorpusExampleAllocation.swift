import Foundation
import SingleCell

/// How many examples each source of a corpus contributes, from its cell count and weight.
///
/// A source with `c` cells and weight `w` (default 1) stands for `w × c` cells:
/// - without a total, it contributes `w × c` examples, rounded to the nearest integer (halves
///   up): weight 1 is one example per cell, as `c2s prompts` draws by default; 2 twice as
///   many; 0.5 half as many;
/// - with a total `N` (`--examples N`), the `N` examples are shared in proportion to `w × c`,
///   by largest remainder (ties to the earlier source), so they add up to exactly `N`.
///
/// Either way the weight is relative to the source's size: equal weights keep the sources'
/// natural proportions, and giving a source of `c` cells the weight `k / c` makes it
/// contribute as if it had `k` cells. Within a source, the examples are drawn as `c2s prompts
/// --examples n` draws them (each from a task chosen with the task weights).
public enum CorpusExampleAllocation {
    /// The examples of each source; `cells` and `weights` are per source, weights > 0.
    public static func examples(cells: [Int], weights: [Double], total: Int?) -> [Int] {
        precondition(cells.count == weights.count && weights.allSatisfy { $0 > 0 && $0.isFinite })
        let mass = zip(cells, weights).map { Double($0) * $1 }
        guard let total else { return mass.map { Int(($0).rounded(.toNearestOrAwayFromZero)) } }
        let sum = mass.reduce(0, +)
        guard sum > 0 else { return cells.map { _ in 0 } }
        let exact = mass.map { Double(total) * $0 / sum }
        var shares = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { a, b in
            let (ra, rb) = (exact[a] - exact[a].rounded(.down), exact[b] - exact[b].rounded(.down))
            return ra != rb ? ra > rb : a < b
        }
        var left = total - shares.reduce(0, +)
        var k = 0
        while left > 0 { shares[order[k % order.count]] += 1; left -= 1; k += 1 }
        return shares
    }

    /// Parses `NAME=W` options into weights by source name: every name must be a source's, and
    /// every weight a number above 0. Sources not named weigh 1.
    public static func weights(_ options: [String], sources: [String]) throws -> [String: Double] {
        var weights: [String: Double] = [:]
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let w = Double(parts[1]) else {
                throw DataError("--weight \(option): write NAME=W, e.g. --weight \(sources.first ?? "kang")=2")
            }
            guard sources.contains(parts[0]) else {
                throw DataError("--weight \(option): no source is named '\(parts[0])'; the sources are \(sources.joined(separator: ", "))")
            }
            guard w > 0, w.isFinite else {
                throw DataError("--weight \(option): a weight must be a number above 0 (leave a source out instead of weighing it 0)")
            }
            guard weights[parts[0]] == nil else { throw DataError("--weight names '\(parts[0])' twice") }
            weights[parts[0]] = w
        }
        return weights
    }
}
