import SingleCell

/// The obs column a fit is grouped by (`--fit-by`), read block by block whenever it is needed
/// instead of held as a label per cell: with obs on disk, fitting per group then takes memory
/// for the groups and their samples, not for the cells.
public struct GroupLabelColumn {
    /// Rows of the column (the input's cells).
    public let rowCount: Int
    /// Rows read at a time.
    public let blockSize: Int
    private let read: (Range<Int>) throws -> [String]

    /// A column given by a reader of row ranges (tests; any source of labels).
    public init(rowCount: Int, blockSize: Int, read: @escaping (Range<Int>) throws -> [String]) {
        self.rowCount = rowCount
        self.blockSize = max(1, blockSize)
        self.read = read
    }

    /// `column` of `source`'s obs, missing values read as "NA"; an error names the file and the
    /// columns it has when there is no such column.
    public init(_ source: ExpressionSource, column: String, blockSize: Int = 1 << 16) throws {
        let schema = source.obsSchema
        guard schema.column(column) != nil else {
            throw FileError(source.path, "obs has no column '\(column)' to fit by; available: \(schema.columnNames.joined(separator: ", "))")
        }
        self.init(rowCount: source.cellCount, blockSize: blockSize) { range in
            let values = try source.readObs(range, columns: [column]).column(column)!.values
            return (0..<range.count).map { values.text(at: $0) ?? "NA" }
        }
    }

    /// Calls `body` with each block's first row and labels, in order.
    public func forEachBlock(_ body: (Int, [String]) throws -> Void) throws {
        var start = 0
        while start < rowCount {
            let range = start..<min(rowCount, start + blockSize)
            let labels = try read(range)
            precondition(labels.count == range.count, "a label reader returned \(labels.count) labels for \(range.count) rows")
            try body(start, labels)
            start = range.upperBound
        }
    }
}

extension InverseTransform {
    /// Each group's sample of the kept cells, the groups in name order: the rows
    /// `groupSamples(keptCells:groups:settings:)` picks from a list of every label, found in two
    /// passes over the column (count each group's kept cells, then walk to the sampled
    /// positions), so no label or row list per cell is held.
    public static func groupSamples(cellKept: [Bool], labels: GroupLabelColumn, settings: InverseTransformSettings) throws -> [(String, [Int])] {
        precondition(labels.rowCount == cellKept.count)
        var counts: [String: Int] = [:]
        try labels.forEachBlock { first, block in
            for (i, g) in block.enumerated() where cellKept[first + i] { counts[g, default: 0] += 1 }
        }
        let names = counts.keys.sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let positions = names.enumerated().map { k, g in
            samplePositions(count: counts[g]!, size: settings.sampleSize, seed: settings.seed &+ UInt64(k + 1)).sorted()
        }
        var rank = [Int](repeating: 0, count: names.count), next = rank
        var rows = positions.map { p -> [Int] in
            var r: [Int] = []
            r.reserveCapacity(p.count)
            return r
        }
        try labels.forEachBlock { first, block in
            for (i, g) in block.enumerated() where cellKept[first + i] {
                let k = index[g]!
                if next[k] < positions[k].count, positions[k][next[k]] == rank[k] {
                    rows[k].append(first + i)
                    next[k] += 1
                }
                rank[k] += 1
            }
        }
        return zip(names, rows).map { ($0, $1) }
    }
}
