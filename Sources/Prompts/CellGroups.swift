import CellSentences
import SingleCell

/// A handful of cells that share the values of some columns (for multi-cell prompts).
public struct CellGroup: Sendable, Equatable {
    /// The shared values, one per grouping column.
    public var key: [String]
    /// Indices into the cell list, in the seeded random order in which they were drawn.
    public var members: [Int]

    public init(key: [String], members: [Int]) {
        self.key = key
        self.members = members
    }
}

/// Cutting cells that share column values into small groups.
public enum CellGrouping {
    /// Among `indices` (into `cells`), groups cells by their values of `columns` (cells missing a
    /// value are skipped), then cuts each group, after a seeded shuffle, into chunks whose sizes
    /// lie in `sizes` (as even as possible; a group smaller than `sizes.lowerBound` is dropped).
    /// Ordered by key, then chunk. Throws `DataError` for unknown columns or an invalid range
    /// (a lower bound below 1).
    ///
    /// Each group's cells are put in cell-name order before the shuffle, whose stream depends only
    /// on the seed and the key, so the result does not depend on the cells' order or on the other
    /// groups. A group of n cells is cut into the fewest chunks that can hold it
    /// (ceil(n / upperBound)); when no number of chunks fits the range exactly (for example 7 cells
    /// and sizes 5...6), it is cut into as many full chunks of `sizes.upperBound` as
    /// `n / sizes.lowerBound` allows and the cells left over (the last ones after the shuffle) are
    /// left out. Repeated indices count once.
    public static func groups(cells: [CellRecord], indices: [Int], by columns: [String], sizes: ClosedRange<Int>, seed: UInt64) throws -> [CellGroup] {
        guard sizes.lowerBound >= 1 else {
            throw DataError("group sizes must be at least 1, but the range is \(sizes.lowerBound)...\(sizes.upperBound)")
        }
        try CellColumns.require(columns, in: cells, role: "grouping")

        var byKey: [[String]: [Int]] = [:]
        var seen = Set<Int>()
        for i in indices where seen.insert(i).inserted {
            precondition(cells.indices.contains(i), "cell index \(i) is out of range")
            var key: [String] = []
            key.reserveCapacity(columns.count)
            for column in columns {
                guard let value = CellColumns.value(cells[i], column) else { break }
                key.append(value)
            }
            if key.count == columns.count { byKey[key, default: []].append(i) }
        }

        var result: [CellGroup] = []
        for key in byKey.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            var members = byKey[key]!
            let n = members.count
            guard n >= sizes.lowerBound else { continue }
            members.sort { (cells[$0].name, $0) < (cells[$1].name, $1) }
            SeededOrder.shuffle(&members, seed: seed, stream: SeededOrder.stream(key))
            var start = 0
            for chunk in chunkSizes(n, sizes) {
                result.append(CellGroup(key: key, members: Array(members[start..<(start + chunk)])))
                start += chunk
            }
        }
        return result
    }

    /// Sizes of the chunks a group of `n >= sizes.lowerBound` cells is cut into.
    static func chunkSizes(_ n: Int, _ sizes: ClosedRange<Int>) -> [Int] {
        let count = (n + sizes.upperBound - 1) / sizes.upperBound
        if count * sizes.lowerBound <= n {
            // As even as possible: the first n % count chunks get one more.
            let base = n / count, extra = n % count
            return (0..<count).map { $0 < extra ? base + 1 : base }
        }
        return Array(repeating: sizes.upperBound, count: n / sizes.lowerBound)
    }
}
