/// A sparse weighted graph in compressed-row form: row i's edges are
/// `columns[rowStart[i]..<rowStart[i + 1]]` (ascending) with `weights` beside them. UMAP's
/// fuzzy simplicial set (square and symmetric) and the bipartite graph from new points to the
/// fitted ones both take this form.
struct FuzzyGraph: Sendable {
    let rowCount: Int
    let columnCount: Int
    let rowStart: [Int]
    let columns: [Int32]
    let weights: [Float]

    var edgeCount: Int { columns.count }

    /// Builds the graph from (row, column, weight) triples, dropping zero weights; each
    /// (row, column) pair may occur once.
    init(rowCount: Int, columnCount: Int, rows: [Int32], columns: [Int32], weights: [Float]) {
        precondition(rows.count == columns.count && rows.count == weights.count)
        var order = (0..<rows.count).filter { weights[$0] != 0 }
        order.sort { (rows[$0], columns[$0]) < (rows[$1], columns[$1]) }
        var start = [Int](repeating: 0, count: rowCount + 1)
        for e in order { start[Int(rows[e]) + 1] += 1 }
        for i in 0..<rowCount { start[i + 1] += start[i] }
        self.rowCount = rowCount
        self.columnCount = columnCount
        rowStart = start
        self.columns = order.map { columns[$0] }
        self.weights = order.map { weights[$0] }
    }

    init(rowCount: Int, columnCount: Int, rowStart: [Int], columns: [Int32], weights: [Float]) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowStart = rowStart
        self.columns = columns
        self.weights = weights
    }

    /// Row index of every edge, in edge order.
    var rows: [Int32] {
        var out = [Int32](repeating: 0, count: edgeCount)
        for i in 0..<rowCount { for e in rowStart[i]..<rowStart[i + 1] { out[e] = Int32(i) } }
        return out
    }

    /// The largest weight (0 for an empty graph).
    var maximumWeight: Float { weights.max() ?? 0 }

    /// The graph without the edges lighter than `threshold`.
    func pruned(below threshold: Float) -> FuzzyGraph {
        var start = [0], cols: [Int32] = [], w: [Float] = []
        for i in 0..<rowCount {
            for e in rowStart[i]..<rowStart[i + 1] where weights[e] >= threshold {
                cols.append(columns[e])
                w.append(weights[e])
            }
            start.append(cols.count)
        }
        return FuzzyGraph(rowCount: rowCount, columnCount: columnCount, rowStart: start, columns: cols, weights: w)
    }

    /// The rows and columns in `members` (ascending), renumbered 0..<members.count; for a
    /// square graph only.
    func subgraph(_ members: [Int]) -> FuzzyGraph {
        var newIndex = [Int32](repeating: -1, count: columnCount)
        for (k, m) in members.enumerated() { newIndex[m] = Int32(k) }
        var start = [0], cols: [Int32] = [], w: [Float] = []
        for m in members {
            for e in rowStart[m]..<rowStart[m + 1] where newIndex[Int(columns[e])] >= 0 {
                cols.append(newIndex[Int(columns[e])])
                w.append(weights[e])
            }
            start.append(cols.count)
        }
        return FuzzyGraph(rowCount: members.count, columnCount: members.count, rowStart: start, columns: cols, weights: w)
    }
}
