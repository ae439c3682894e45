import CellSentences
import Foundation
import Mechanics
import SingleCell

/// Which split every cell is in; saved as splits.json and reusable so a model's test cells stay
/// unseen.
public struct SplitPlan: Codable, Sendable, Equatable {
    /// The split names in their fixed order.
    public static let splitNames = ["train", "validation", "test"]

    /// The seed the plan was made with.
    public var seed: UInt64
    /// The fractions the plan was made with.
    public var fractions: SplitFractions
    /// The label column the splits were stratified by, if any.
    public var stratifyBy: String?
    /// The columns whose value combinations never appear in two splits (for example `["donor"]`).
    public var groupBy: [String]
    /// Cell name -> `train`, `validation` or `test`.
    public var assignments: [String: String]

    public init(seed: UInt64, fractions: SplitFractions, stratifyBy: String?, groupBy: [String], assignments: [String: String]) {
        self.seed = seed
        self.fractions = fractions
        self.stratifyBy = stratifyBy
        self.groupBy = groupBy
        self.assignments = assignments
    }

    /// Assigns every cell to a split.
    ///
    /// Stratified (per value of `stratifyBy`; largest-remainder allocation of each stratum's cells,
    /// so every split gets its share of every class where possible — each stratum's count in a
    /// split is its exact share rounded down or up, and the split totals are the overall shares
    /// rounded by largest remainder) and optionally grouped (units are groups of cells sharing the
    /// `groupBy` values; groups are allocated to splits — stratified by each group's most common
    /// label — so that the cell counts come as close to the fractions as possible). Cells with a
    /// missing stratify/group value form their own stratum/group "NA". The column `cell_name` is
    /// the cell's name.
    ///
    /// Units are put in a stable order (cell name or group values) before the seeded shuffle, so
    /// the plan depends only on the cells, the fractions and the seed, not on the cells' order.
    /// Throws `DataError` for an unknown column (listing the available fields) or duplicate cell
    /// names.
    public static func make(cells: [CellRecord], fractions: SplitFractions, seed: UInt64, stratifyBy: String?, groupBy: [String]) throws -> SplitPlan {
        try assign(cells: cells, fractions: fractions, seed: seed, stratifyBy: stratifyBy, groupBy: groupBy).plan
    }

    /// As `make`, also giving each cell's split as an index into `splitNames`, in the order of
    /// `cells` (for `PromptBuilder`, which would otherwise look every name up in the plan).
    public static func assign(cells: [CellRecord], fractions: SplitFractions, seed: UInt64, stratifyBy: String?, groupBy: [String]) throws -> (plan: SplitPlan, splitOfCell: [Int]) {
        if let stratifyBy { try CellColumns.require([stratifyBy], in: cells, role: "stratify-by") }
        try CellColumns.require(groupBy, in: cells, role: "group-by")
        // Cells in order of name: every stratum below lists its cells in this order.
        let byName = try uniquelyNamed(cells.map(\.name))

        let weights = SplitAllocation.weights(fractions)
        let label: (CellRecord) -> String = { cell in
            stratifyBy.flatMap { CellColumns.value(cell, $0) } ?? "NA"
        }
        var assignments: [String: String] = [:]
        assignments.reserveCapacity(cells.count)
        var splitOfCell = [Int](repeating: 0, count: cells.count)

        if groupBy.isEmpty {
            // Units are cells: exact controlled rounding per stratum.
            var strata: [String: [Int]] = [:]
            if stratifyBy == nil {
                strata["NA"] = byName
            } else {
                for i in byName { strata[label(cells[i]), default: []].append(i) }
            }
            let keys = strata.keys.sorted()
            let members = keys.map { strata[$0]! }
            let streams = keys.map { SeededOrder.stream([$0]) }
            let allocation = SplitAllocation.controlledRounding(sizes: members.map(\.count), streams: streams, weights: weights, seed: seed)
            for s in keys.indices {
                var order = members[s]
                SeededOrder.shuffle(&order, seed: seed, stream: streams[s])
                var position = 0
                for k in 0..<3 {
                    for i in order[position..<(position + allocation[s][k])] {
                        assignments[cells[i].name] = splitNames[k]
                        splitOfCell[i] = k
                    }
                    position += allocation[s][k]
                }
            }
        } else {
            // Units are groups of cells sharing the group-by values.
            var tally = GroupedSplitTally(groupBy: groupBy, stratifyBy: stratifyBy)
            for cell in cells { tally.add(cell) }
            let chosen = tally.assign(fractions: fractions, seed: seed)
            for (i, cell) in cells.enumerated() {
                let k = chosen[tally.key(of: cell)]!
                assignments[cell.name] = splitNames[k]
                splitOfCell[i] = k
            }
        }
        let plan = SplitPlan(seed: seed, fractions: fractions, stratifyBy: stratifyBy, groupBy: groupBy, assignments: assignments)
        return (plan, splitOfCell)
    }

    /// The indices of `names` in ascending order of the names.
    ///
    /// - Throws: `DataError` listing the first few names (in their given order) that appear
    ///   more than once: cells are split by name.
    public static func uniquelyNamed(_ names: [String]) throws -> [Int] {
        let byName = NameOrder.sorted(names)
        var repeated = Set<String>()
        for k in byName.indices.dropFirst() where names[byName[k]] == names[byName[k - 1]] { repeated.insert(names[byName[k]]) }
        if !repeated.isEmpty {
            // The first few repeats in the cells' order.
            var seen = Set<String>()
            var duplicates: [String] = []
            for name in names where repeated.contains(name) && !seen.insert(name).inserted {
                if duplicates.count < 5 { duplicates.append(name) }
            }
            throw DataError("cell names must be unique to split cells, but these appear more than once: \(duplicates.joined(separator: ", "))")
        }
        return byName
    }

    /// The split (`train`, `validation` or `test`) of a cell, or nil when the plan does not have it.
    public func split(of cellName: String) -> String? { assignments[cellName] }

    /// Counts per split (keys `train`, `validation`, `test`), and, when the plan is stratified, per
    /// split and stratum (keys `split/value`, for example `test/B cell`; a missing value counts as
    /// `NA`). Cells the plan does not cover are counted under `unassigned`. For reports and tests.
    public func counts(cells: [CellRecord]) -> [String: Int] {
        var result: [String: Int] = [:]
        for name in Self.splitNames { result[name] = 0 }
        for cell in cells {
            guard let split = assignments[cell.name] else {
                result["unassigned", default: 0] += 1
                continue
            }
            result[split, default: 0] += 1
            if let stratifyBy {
                result[split + "/" + (CellColumns.value(cell, stratifyBy) ?? "NA"), default: 0] += 1
            }
        }
        return result
    }
}
