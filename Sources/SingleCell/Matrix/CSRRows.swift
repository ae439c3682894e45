/// A block of consecutive rows (cells) of a sparse cells x genes matrix in CSR layout.
///
/// Readers hand out expression data in these blocks so that a whole matrix never has to be in
/// memory at once. Stored zeros may be present; consumers treat only values > 0 as expressed.
public struct CSRRows: Sendable {
    /// Index of the first row of this block in the whole matrix.
    public var firstRow: Int
    /// Row pointers relative to this block: row `r` owns `indptr[r]..<indptr[r+1]`; `indptr[0] == 0`.
    public var indptr: [Int]
    /// Column (gene) indices, 0-based.
    public var indices: [Int32]
    /// Values, as stored (counts or normalised values).
    public var values: [Float]

    public init(firstRow: Int, indptr: [Int], indices: [Int32], values: [Float]) {
        self.firstRow = firstRow
        self.indptr = indptr
        self.indices = indices
        self.values = values
    }

    /// Number of rows in the block.
    public var rowCount: Int { indptr.count - 1 }

    /// Number of stored entries (including any stored zeros).
    public var storedCount: Int { indices.count }

    /// Range of stored entries of row `r` (block-relative).
    @inlinable public func range(ofRow r: Int) -> Range<Int> { indptr[r]..<indptr[r + 1] }

    /// An empty block starting at `firstRow`.
    public static func empty(at firstRow: Int) -> CSRRows {
        CSRRows(firstRow: firstRow, indptr: [0], indices: [], values: [])
    }

    /// Builds a block from dense rows (row-major, `rowCount x columns`), keeping only non-zeros.
    public static func fromDense(_ dense: UnsafeBufferPointer<Float>, rows: Int, columns: Int, firstRow: Int) -> CSRRows {
        var indptr = [Int](repeating: 0, count: rows + 1)
        var indices: [Int32] = []
        var values: [Float] = []
        indices.reserveCapacity(dense.count / 4)
        values.reserveCapacity(dense.count / 4)
        for r in 0..<rows {
            let base = r * columns
            for c in 0..<columns {
                let v = dense[base + c]
                if v != 0 {
                    indices.append(Int32(c))
                    values.append(v)
                }
            }
            indptr[r + 1] = indices.count
        }
        return CSRRows(firstRow: firstRow, indptr: indptr, indices: indices, values: values)
    }
}
