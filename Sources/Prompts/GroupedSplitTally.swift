import CellSentences
import Foundation

/// Cells counted per group (their values of the group-by columns) and label: all that sharing
/// groups among the splits needs. Cells that are never held at once (a corpus's, read source
/// after source) are split by their tally exactly as `SplitPlan.assign` splits them all, which
/// makes its grouped plans through this type too.
public struct GroupedSplitTally: Sendable {
    public let groupBy: [String]
    public let stratifyBy: String?
    /// Cells per label, per group.
    private var groups: [[String]: [String: Int]] = [:]

    public init(groupBy: [String], stratifyBy: String?) {
        precondition(!groupBy.isEmpty, "a grouped split needs at least one group-by column")
        self.groupBy = groupBy
        self.stratifyBy = stratifyBy
    }

    /// The group a cell belongs to: its values of the group-by columns (a missing one is "NA").
    public func key(of cell: CellRecord) -> [String] { groupBy.map { CellColumns.value(cell, $0) ?? "NA" } }

    /// Counts a cell in its group under its label (its stratify-by value, or "NA").
    public mutating func add(_ cell: CellRecord) {
        groups[key(of: cell), default: [:]][stratifyBy.flatMap { CellColumns.value(cell, $0) } ?? "NA", default: 0] += 1
    }

    /// Cells per split (train, validation, test) when the groups go to `chosen`'s splits.
    public func cellsPerSplit(_ chosen: [[String]: Int]) -> [Int] {
        var counts = [0, 0, 0]
        for (key, labels) in groups { counts[chosen[key]!] += labels.values.reduce(0, +) }
        return counts
    }

    /// The split (0 train, 1 validation, 2 test) of every group: groups are allocated, stratified
    /// by each group's most common label (ties to the first label in sorted order), so that the
    /// cell counts come as close to the fractions as possible (`SplitAllocation.assignGroups`).
    /// Depends only on the tally, the fractions and the seed.
    public func assign(fractions: SplitFractions, seed: UInt64) -> [[String]: Int] {
        let keys = groups.keys.sorted { $0.lexicographicallyPrecedes($1) }
        let list = keys.map { key -> SplitAllocation.Group in
            let labels = groups[key]!
            let majority = labels.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!.key
            return SplitAllocation.Group(key: key, stratum: majority, size: labels.values.reduce(0, +))
        }
        let chosen = SplitAllocation.assignGroups(list, weights: SplitAllocation.weights(fractions), seed: seed)
        return Dictionary(uniqueKeysWithValues: zip(keys, chosen))
    }
}
