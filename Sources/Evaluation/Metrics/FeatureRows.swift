import SingleCell

/// Cells as rows of features (genes, or principal components) in double precision, stored
/// sparsely (CSR): the input of the distance-based metrics.
///
/// Expression data is mostly zeros, so rows keep only their non-zero entries; dense data (PCA
/// scores) stores every entry. Column indices within a row are ascending.
public struct FeatureRows: Sendable {
    public let rowCount: Int
    public let columnCount: Int
    /// Row `r` owns entries `indptr[r]..<indptr[r + 1]`.
    public let indptr: [Int]
    public let indices: [Int32]
    public let values: [Double]

    /// Rows from CSR arrays (column indices ascending within each row, all below `columnCount`).
    public init(rowCount: Int, columnCount: Int, indptr: [Int], indices: [Int32], values: [Double]) {
        precondition(indptr.count == rowCount + 1 && indices.count == values.count && indptr.last == indices.count)
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.indptr = indptr
        self.indices = indices
        self.values = values
    }

    /// Rows from a dense row-major matrix, zeros dropped.
    public init(dense: [Double], rows: Int, columns: Int) {
        precondition(dense.count == rows * columns)
        var indptr = [0], indices: [Int32] = [], values: [Double] = []
        for r in 0..<rows {
            for c in 0..<columns where dense[r * columns + c] != 0 {
                indices.append(Int32(c)); values.append(dense[r * columns + c])
            }
            indptr.append(indices.count)
        }
        self.init(rowCount: rows, columnCount: columns, indptr: indptr, indices: indices, values: values)
    }

    /// The rows at `rows`, in that order.
    public func selecting(rows: [Int]) -> FeatureRows {
        var p = [0], idx: [Int32] = [], val: [Double] = []
        idx.reserveCapacity(rows.reduce(0) { $0 + indptr[$1 + 1] - indptr[$1] })
        val.reserveCapacity(idx.capacity)
        for r in rows {
            idx.append(contentsOf: indices[indptr[r]..<indptr[r + 1]])
            val.append(contentsOf: values[indptr[r]..<indptr[r + 1]])
            p.append(idx.count)
        }
        return FeatureRows(rowCount: rows.count, columnCount: columnCount, indptr: p, indices: idx, values: val)
    }

    /// The columns listed in `columns` (new column j = old column `columns[j]`), in that order;
    /// other columns are dropped.
    public func selecting(columns: [Int]) -> FeatureRows {
        var newIndex = [Int32](repeating: -1, count: columnCount)
        for (j, c) in columns.enumerated() { newIndex[c] = Int32(j) }
        var p = [0], idx: [Int32] = [], val: [Double] = []
        var row: [(Int32, Double)] = []
        for r in 0..<rowCount {
            row.removeAll(keepingCapacity: true)
            for e in indptr[r]..<indptr[r + 1] where newIndex[Int(indices[e])] >= 0 {
                row.append((newIndex[Int(indices[e])], values[e]))
            }
            row.sort { $0.0 < $1.0 }
            for (c, v) in row { idx.append(c); val.append(v) }
            p.append(idx.count)
        }
        return FeatureRows(rowCount: rowCount, columnCount: columns.count, indptr: p, indices: idx, values: val)
    }

    /// Squared Euclidean norm of every row.
    public func squaredNorms() -> [Double] {
        (0..<rowCount).map { r in
            var s = 0.0
            for e in indptr[r]..<indptr[r + 1] { s += values[e] * values[e] }
            return s
        }
    }

    /// The rows at `rows` as a dense row-major matrix (`rows.count` x `columnCount`).
    public func dense(rows: [Int]) -> [Double] {
        var out = [Double](repeating: 0, count: rows.count * columnCount)
        for (i, r) in rows.enumerated() {
            for e in indptr[r]..<indptr[r + 1] { out[i * columnCount + Int(indices[e])] = values[e] }
        }
        return out
    }

    /// Every row as a dense row-major matrix.
    public func dense() -> [Double] { dense(rows: Array(0..<rowCount)) }

    /// The mean of the rows at `rows` (a `columnCount` vector).
    public func mean(rows: [Int]) -> [Double] {
        var sum = [Double](repeating: 0, count: columnCount)
        for r in rows {
            for e in indptr[r]..<indptr[r + 1] { sum[Int(indices[e])] += values[e] }
        }
        let n = Double(rows.count)
        return sum.map { $0 / n }
    }

    /// Rows read from an expression matrix block (stored zeros dropped).
    public init(_ block: CSRRows, columnCount: Int) {
        var p = [0], idx: [Int32] = [], val: [Double] = []
        idx.reserveCapacity(block.storedCount)
        val.reserveCapacity(block.storedCount)
        var row: [(Int32, Double)] = []
        for r in 0..<block.rowCount {
            row.removeAll(keepingCapacity: true)
            for e in block.range(ofRow: r) where block.values[e] != 0 { row.append((block.indices[e], Double(block.values[e]))) }
            // Readers store ascending columns, but nothing in the formats promises it.
            if !row.isEmpty, zip(row, row.dropFirst()).contains(where: { $0.0 >= $1.0 }) { row.sort { $0.0 < $1.0 } }
            for (c, v) in row {
                // A column stored twice counts once with the sum, as scipy reads such a matrix.
                if idx.count > p[p.count - 1], idx[idx.count - 1] == c { val[val.count - 1] += v; continue }
                idx.append(c); val.append(v)
            }
            p.append(idx.count)
        }
        self.init(rowCount: block.rowCount, columnCount: columnCount, indptr: p, indices: idx, values: val)
    }
}
