import Foundation

/// Reads cells (rows) of a CSR matrix stored as three HDF5 datasets: `indptr`, `indices`, `data`.
///
/// Nothing per row is held in memory: each `readRows` call reads the requested rows' pointers
/// and then their entries, one hyperslab read per dataset. The pointers are checked once, in
/// blocks, when the reader is made. Used for AnnData CSR matrices and for
/// 10x HDF5 files (whose genes x cells CSC matrix is the same bytes as cells x genes CSR).
final class CSRDatasetReader {
    let indptr: H5Dataset
    let indices: H5Dataset
    let data: H5Dataset
    let rowCount: Int
    let columnCount: Int
    /// The file, and the matrix inside it, for error messages.
    let path: String
    let label: String

    /// Checks that the three datasets fit together and the pointers are consistent.
    /// `label` names the matrix inside the file in error messages (e.g. `X`, `/matrix`).
    init(indptr: H5Dataset, indices: H5Dataset, data: H5Dataset, rows: Int, columns: Int, path: String, label: String) throws {
        guard data.isNumeric else { throw FileError(path, "'\(label)/data' is not numeric") }
        guard indices.count == data.count else {
            throw FileError(path, "'\(label)': indices has \(indices.count) entries but data has \(data.count)")
        }
        try Self.checkPointers(indptr, major: rows, stored: data.count, path: path, label: label)
        self.indptr = indptr
        self.indices = indices
        self.data = data
        rowCount = rows
        columnCount = columns
        self.path = path
        self.label = label
    }

    /// Pointers are checked this many at a time.
    static let checkBlock = 1 << 16

    /// `checkPointers` over a pointer dataset read in blocks (each block overlapping the last
    /// by one pointer, so every neighbouring pair is compared), holding one block at a time.
    static func checkPointers(_ indptr: H5Dataset, major: Int, stored: Int, path: String, label: String) throws {
        // (A column of shape (n + 1, 1) reads as the same pointers.)
        guard indptr.shape.dropFirst().allSatisfy({ $0 == 1 }), indptr.count == major + 1 else {
            throw FileError(path, "'\(label)/indptr' has \(indptr.count) entries, expected \(major + 1) for the matrix shape")
        }
        let first = try indptr.read(Int64.self, start: 0, count: 1)[0]
        let last = try indptr.read(Int64.self, start: major, count: 1)[0]
        guard first == 0, last == Int64(stored) else {
            throw FileError(path, "'\(label)/indptr' does not span data (first \(first), last \(last), \(stored) stored values)")
        }
        var start = 0
        while start < major {
            let count = min(checkBlock, major - start) + 1
            let block = try indptr.read(Int64.self, start: start, count: count)
            for i in 1..<block.count where block[i] < block[i - 1] {
                throw FileError(path, "'\(label)/indptr' decreases at position \(start + i)")
            }
            start += count - 1
        }
    }

    /// Validates compressed-sparse pointers: `major + 1` entries, from 0 to `stored`, never decreasing.
    static func checkPointers(_ indptr: [Int64], major: Int, stored: Int, path: String, label: String) throws {
        guard indptr.count == major + 1 else {
            throw FileError(path, "'\(label)/indptr' has \(indptr.count) entries, expected \(major + 1) for the matrix shape")
        }
        guard indptr.first == 0, indptr.last == Int64(stored) else {
            throw FileError(path, "'\(label)/indptr' does not span data (first \(indptr.first ?? -1), last \(indptr.last ?? -1), \(stored) stored values)")
        }
        for i in 1..<indptr.count where indptr[i] < indptr[i - 1] {
            throw FileError(path, "'\(label)/indptr' decreases at position \(i)")
        }
    }

    /// Reads rows `range` as a CSR block, checking that every column index is in range.
    func readRows(_ range: Range<Int>) throws -> CSRRows {
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount)
        let pointers = try indptr.read(Int64.self, start: range.lowerBound, count: range.count + 1)
        let lo = Int(pointers[0]), hi = Int(pointers[range.count])
        var rowPointers = [Int](repeating: 0, count: range.count + 1)
        for i in 0...range.count { rowPointers[i] = Int(pointers[i]) - lo }
        // HDF5 fills every element, so the arrays need no zeroing first.
        let indexValues = try [Int32](unsafeUninitializedCapacity: hi - lo) { buffer, initialized in
            if hi > lo { try indices.read(Int32.self, into: buffer.baseAddress!, start: lo, count: hi - lo) }
            initialized = hi - lo
        }
        let values = try [Float](unsafeUninitializedCapacity: hi - lo) { buffer, initialized in
            if hi > lo { try data.read(Float.self, into: buffer.baseAddress!, start: lo, count: hi - lo) }
            initialized = hi - lo
        }
        let limit = Int32(columnCount)
        // One pass with an unsigned compare catches both negative and too-large indices.
        let bad = indexValues.withUnsafeBufferPointer { b -> Int? in
            for k in 0..<b.count where UInt32(bitPattern: b[k]) >= UInt32(limit) { return k }
            return nil
        }
        if let k = bad {
            throw FileError(path, "column index \(indexValues[k]) of stored entry \(lo + k) is outside the \(columnCount) genes")
        }
        if let (row, column) = Self.firstDuplicate(indexValues, rowPointers: rowPointers, columns: columnCount) {
            throw FileError(path, "'\(label)': row \(range.lowerBound + row) stores column \(column) more than once; a sparse matrix with duplicate entries is ambiguous (scipy would add them): fix it with X.sum_duplicates() before converting")
        }
        return CSRRows(firstRow: range.lowerBound, indptr: rowPointers, indices: indexValues, values: values)
    }

    /// The first (row, column) stored twice in a block, sorted or not: each column remembers
    /// the last row that stored it (one pass, `columns` integers of memory).
    static func firstDuplicate(_ indices: [Int32], rowPointers: [Int], columns: Int) -> (row: Int, column: Int32)? {
        guard rowPointers.count > 1 else { return nil }
        var lastRow = [Int32](repeating: -1, count: columns)
        return lastRow.withUnsafeMutableBufferPointer { seen -> (row: Int, column: Int32)? in
            indices.withUnsafeBufferPointer { idx in
                for r in 0..<(rowPointers.count - 1) {
                    let stamp = Int32(truncatingIfNeeded: r)
                    for k in rowPointers[r]..<rowPointers[r + 1] {
                        let c = Int(idx[k])
                        if seen[c] == stamp { return (r, idx[k]) }
                        seen[c] = stamp
                    }
                }
                return nil
            }
        }
    }
}
