import CellSentences
import Foundation
import Mechanics
import SingleCell

/// The arithmetic behind `SplitPlan.make`: exact integer shares and the assignment of groups.
enum SplitAllocation {
    /// Fractions are turned into integer weights summing to `scale`, so every share below is
    /// computed exactly.
    static let scale = 1_000_000_000

    /// Integer weights (train, validation, test) summing to `scale`; a zero fraction stays zero.
    static func weights(_ fractions: SplitFractions) -> [Int] {
        let values = fractions.values
        let sum = values.reduce(0, +)
        let raw = values.map { $0 / sum * Double(scale) }
        var weights = raw.map { Int($0.rounded(.down)) }
        let order = (0..<3).filter { values[$0] > 0 }
            .sorted { (raw[$0] - raw[$0].rounded(.down), -$0) > (raw[$1] - raw[$1].rounded(.down), -$1) }
        var left = scale - weights.reduce(0, +)
        var i = 0
        while left > 0 && !order.isEmpty { weights[order[i % order.count]] += 1; left -= 1; i += 1 }
        while left < 0 { let k = weights.indices.max { weights[$0] < weights[$1] }!; weights[k] -= 1; left += 1 }
        return weights
    }

    /// `total` shared by `weights` with largest-remainder rounding (ties go to the earlier split).
    static func largestRemainder(total: Int, weights: [Int]) -> [Int] {
        var shares = weights.map { total * $0 / scale }
        let remainders = weights.map { total * $0 % scale }
        let left = total - shares.reduce(0, +)
        let order = weights.indices.filter { remainders[$0] > 0 }
            .sorted { (remainders[$0], -$0) > (remainders[$1], -$1) }
        for k in order.prefix(left) { shares[k] += 1 }
        return shares
    }

    /// Controlled rounding of the table of shares `sizes[s] * weight[k] / scale`: every entry is
    /// its exact share rounded down or up, every row sums to `sizes[s]`, and every column sums to
    /// the largest-remainder share of the total. Which entries round up is decided by the size of
    /// their remainders, ties broken by a seeded hash of the stratum's stream.
    static func controlledRounding(sizes: [Int], streams: [UInt64], weights: [Int], seed: UInt64) -> [[Int]] {
        let strata = sizes.count
        var table = sizes.map { n in weights.map { n * $0 / scale } }
        let remainders = sizes.map { n in weights.map { n * $0 % scale } }
        let totals = largestRemainder(total: sizes.reduce(0, +), weights: weights)
        var columnLeft = (0..<3).map { k in totals[k] - table.reduce(0) { $0 + $1[k] } }
        var rowLeft = (0..<strata).map { sizes[$0] - table[$0].reduce(0, +) }
        var up = [[Bool]](repeating: [false, false, false], count: strata)

        // Greedy: largest remainders first.
        struct Candidate { var s: Int; var k: Int; var remainder: Int; var tie: UInt64 }
        var candidates: [Candidate] = []
        for s in 0..<strata where rowLeft[s] > 0 {
            let base = SplitMix64.derive(seed, streams[s])
            for k in 0..<3 where remainders[s][k] > 0 {
                candidates.append(Candidate(s: s, k: k, remainder: remainders[s][k], tie: SplitMix64.mix(base ^ UInt64(k + 1))))
            }
        }
        candidates.sort { ($0.remainder, $1.tie, $1.s, $1.k) > ($1.remainder, $0.tie, $0.s, $0.k) }
        for c in candidates where rowLeft[c.s] > 0 && columnLeft[c.k] > 0 {
            up[c.s][c.k] = true
            rowLeft[c.s] -= 1
            columnLeft[c.k] -= 1
        }

        // Repair with augmenting paths (a solution always exists for three columns).
        for s in 0..<strata {
            while rowLeft[s] > 0 {
                if augment(from: s, up: &up, remainders: remainders, columnLeft: &columnLeft) {
                    rowLeft[s] -= 1
                    continue
                }
                // Not reachable in exact arithmetic; keep the row sum right regardless.
                guard let k = (0..<3).first(where: { !up[s][$0] && remainders[s][$0] > 0 }) else { break }
                up[s][k] = true
                columnLeft[k] -= 1
                rowLeft[s] -= 1
            }
        }
        for s in 0..<strata { for k in 0..<3 where up[s][k] { table[s][k] += 1 } }
        return table
    }

    /// Finds a path row s -> column -> row -> ... -> column with room, and flips it.
    private static func augment(from start: Int, up: inout [[Bool]], remainders: [[Int]], columnLeft: inout [Int]) -> Bool {
        let strata = up.count
        var rowFrom = [Int](repeating: -2, count: strata)   // column through which a row was reached
        var columnFrom = [Int](repeating: -1, count: 3)     // row through which a column was reached
        rowFrom[start] = -1
        var queue = [start]
        var head = 0
        while head < queue.count {
            let r = queue[head]
            head += 1
            for k in 0..<3 where columnFrom[k] < 0 && !up[r][k] && remainders[r][k] > 0 {
                columnFrom[k] = r
                if columnLeft[k] > 0 {
                    // Flip the path back to the start.
                    var column = k
                    while true {
                        let row = columnFrom[column]
                        up[row][column] = true
                        let previous = rowFrom[row]
                        if previous < 0 { break }
                        up[row][previous] = false
                        column = previous
                    }
                    columnLeft[k] -= 1
                    return true
                }
                for r2 in 0..<strata where rowFrom[r2] == -2 && up[r2][k] {
                    rowFrom[r2] = k
                    queue.append(r2)
                }
            }
        }
        return false
    }

    /// A group of cells that must stay in one split.
    struct Group {
        var key: [String]
        /// The group's most common label (its stratum).
        var stratum: String
        /// Its cells.
        var size: Int
    }

    /// Chooses a split (0, 1, 2) for every group, minimising the squared differences between the
    /// cell counts and their targets, both overall and per stratum. Starts from a greedy pass over
    /// the groups in seeded random order, then improves by moving single groups and swapping pairs
    /// until no move helps. Splits with a zero fraction get nothing.
    static func assignGroups(_ groups: [Group], weights: [Int], seed: UInt64) -> [Int] {
        let strataKeys = Array(Set(groups.map(\.stratum))).sorted()
        let stratumIndex = Dictionary(uniqueKeysWithValues: strataKeys.enumerated().map { ($1, $0) })
        var sizes = [Int](repeating: 0, count: strataKeys.count)
        for g in groups { sizes[stratumIndex[g.stratum]!] += g.size }
        let stratumTargets = controlledRounding(sizes: sizes, streams: strataKeys.map { SeededOrder.stream([$0]) }, weights: weights, seed: seed)
        let totals = largestRemainder(total: sizes.reduce(0, +), weights: weights)
        let allowed = (0..<3).filter { weights[$0] > 0 }

        // Remaining room (target minus assigned), overall and per stratum.
        var room = totals.map(Double.init)
        var stratumRoom = stratumTargets.map { $0.map(Double.init) }
        let size = groups.map { Double($0.size) }
        let stratum = groups.map { stratumIndex[$0.stratum]! }
        var chosen = [Int](repeating: allowed.first ?? 0, count: groups.count)

        var order = Array(groups.indices)
        SeededOrder.shuffle(&order, seed: seed, stream: SeededOrder.stream(["group order"]))
        for g in order {
            let s = stratum[g]
            var best = allowed[0]
            for k in allowed.dropFirst() where room[k] + stratumRoom[s][k] > room[best] + stratumRoom[s][best] { best = k }
            chosen[g] = best
            room[best] -= size[g]
            stratumRoom[s][best] -= size[g]
        }

        // Change of x² when x changes by d.
        @inline(__always) func change(_ x: Double, _ d: Double) -> Double { d * (d + 2 * x) }
        let swapLimit = 2_000
        for _ in 0..<100 {
            var improved = false
            for g in order {
                let a = chosen[g], s = stratum[g], m = size[g]
                var best = a
                var bestDelta = -0.5
                for b in allowed where b != a {
                    let delta = change(room[a], m) + change(room[b], -m) + change(stratumRoom[s][a], m) + change(stratumRoom[s][b], -m)
                    if delta < bestDelta { bestDelta = delta; best = b }
                }
                if best != a {
                    room[a] += m; room[best] -= m
                    stratumRoom[s][a] += m; stratumRoom[s][best] -= m
                    chosen[g] = best
                    improved = true
                }
            }
            if groups.count <= swapLimit {
                for x in 0..<order.count {
                    for y in (x + 1)..<order.count {
                        let g = order[x], h = order[y]
                        let a = chosen[g], b = chosen[h]
                        if a == b || size[g] == size[h] && stratum[g] == stratum[h] { continue }
                        let m = size[g], p = size[h], s = stratum[g], t = stratum[h]
                        // g moves a -> b, h moves b -> a: room changes by the size leaving minus arriving.
                        var delta = change(room[a], m - p) + change(room[b], p - m)
                        if s == t {
                            delta += change(stratumRoom[s][a], m - p) + change(stratumRoom[s][b], p - m)
                        } else {
                            delta += change(stratumRoom[s][a], m) + change(stratumRoom[s][b], -m)
                                + change(stratumRoom[t][b], p) + change(stratumRoom[t][a], -p)
                        }
                        if delta < -0.5 {
                            room[a] += m - p; room[b] += p - m
                            stratumRoom[s][a] += m; stratumRoom[s][b] -= m
                            stratumRoom[t][b] += p; stratumRoom[t][a] -= p
                            chosen[g] = b; chosen[h] = a
                            improved = true
                        }
                    }
                }
            }
            if !improved { break }
        }
        return chosen
    }
}
