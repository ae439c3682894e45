import Foundation

/// Reads cells (rows) of a CSC matrix stored as three HDF5 datasets (`indptr`, `indices`,
/// `data`: one column per gene), through an external transpose.
///
/// A CSC matrix cannot be read by row without touching every column, so the reader makes one
/// pass over the stored entries when it is opened and scatters them into *buckets* of
/// consecutive rows, written to an unlinked scratch file in `TMPDIR` (8 bytes per stored
/// entry: row within the bucket and column packed in 32 bits, then the value; buckets hold at
/// most the rows the packing leaves room for). Reading rows then reads their buckets back and
/// sorts them by row (a stable counting sort, so each row's columns stay ascending as they were
/// scanned). Memory does not grow with the cells: one write buffer per bucket while scattering,
/// one decoded bucket (about `bucketEntries` entries) while reading.
///
/// Every entry is checked while scattering: row indices inside the matrix, and no column
/// storing a row twice (scipy would add such duplicates; c2s refuses them).
final class CSCDatasetReader {
    let rowCount: Int
    let columnCount: Int
    /// Bytes of the scratch file, for the warning that names it.
    var scratchBytes: Int { scratch.size }
    /// The scratch file's folder, for the warning that names it.
    var scratchFolder: String { scratch.folder }

    private let path: String
    private let label: String
    private let scratch: ScratchFile
    private let rowsPerBucket: Int
    /// Bits of an entry's 32-bit key that hold its column (the low ones); the rest hold its row
    /// within the bucket.
    private let columnBits: Int
    /// The key's bits: all 32 but in tests, where narrower keys cut buckets to a few rows.
    private let keyMask: UInt32
    /// Each bucket's chunks in the scratch file, in the order they were written.
    private var chunks: [[Chunk]]
    private var decoded: (bucket: Int, rows: CSRRows)?

    private struct Chunk {
        let offset: Int
        let count: Int
    }

    /// Entries per bucket (on average) and per chunk written to the scratch file; smaller
    /// values are for tests, which use them to cross bucket and chunk boundaries (as `keyBits`
    /// below 32 does for the rows a key has room for).
    static let defaultBucketEntries = 1 << 23
    static let defaultChunkEntries = 8192
    /// Entries read from the HDF5 datasets at a time while scattering.
    static let slabEntries = 1 << 22

    /// Checks the pointers and scatters the matrix into the scratch file.
    init(indptr: H5Dataset, indices: H5Dataset, data: H5Dataset, rows: Int, columns: Int, path: String, label: String,
         bucketEntries: Int = defaultBucketEntries, chunkEntries: Int = defaultChunkEntries, scratchFolder: String? = nil,
         keyBits: Int = 32) throws {
        guard data.isNumeric else { throw FileError(path, "'\(label)/data' is not numeric") }
        guard indices.count == data.count else {
            throw FileError(path, "'\(label)': indices has \(indices.count) entries but data has \(data.count)")
        }
        try CSRDatasetReader.checkPointers(indptr, major: columns, stored: data.count, path: path, label: label)
        rowCount = rows
        columnCount = columns
        self.path = path
        self.label = label
        scratch = try ScratchFile(folder: scratchFolder)
        let stored = data.count
        keyMask = UInt32(truncatingIfNeeded: (1 << keyBits) - 1)
        columnBits = columns <= 1 ? 0 : Int.bitWidth - (columns - 1).leadingZeroBitCount
        guard columnBits < keyBits else { throw FileError(path, "'\(label)' has \(columns) columns; at most 2^\(keyBits - 1) are supported") }
        let rowsByEntries = stored == 0 ? rows : Int((Double(rows) * Double(bucketEntries) / Double(stored)).rounded(.up))
        rowsPerBucket = max(1, min(rows, rowsByEntries, 1 << (keyBits - columnBits)))
        let bucketCount = rows == 0 ? 0 : (rows + rowsPerBucket - 1) / rowsPerBucket
        chunks = Array(repeating: [], count: bucketCount)
        // The column pointers: one per gene, small.
        let pointers = try indptr.read(Int64.self)
        try scatter(pointers: pointers, indices: indices, data: data, bucketCount: bucketCount, chunkEntries: max(1, chunkEntries))
    }

    /// One pass over the stored entries, slab by slab, into per-bucket buffers flushed to the
    /// scratch file as chunks.
    private func scatter(pointers: [Int64], indices: H5Dataset, data: H5Dataset, bucketCount: Int, chunkEntries: Int) throws {
        let stored = data.count
        guard stored > 0 else { return }
        let keyBuffer = UnsafeMutablePointer<UInt32>.allocate(capacity: bucketCount * chunkEntries)
        let valueBuffer = UnsafeMutablePointer<Float>.allocate(capacity: bucketCount * chunkEntries)
        defer { keyBuffer.deallocate(); valueBuffer.deallocate() }
        var filled = [Int](repeating: 0, count: bucketCount)

        func flush(_ b: Int) throws {
            let n = filled[b]
            guard n > 0 else { return }
            let base = b * chunkEntries
            let offset = scratch.size
            try scratch.append(UnsafeRawBufferPointer(start: keyBuffer + base, count: n * 4))
            try scratch.append(UnsafeRawBufferPointer(start: valueBuffer + base, count: n * 4))
            chunks[b].append(Chunk(offset: offset, count: n))
            filled[b] = 0
        }

        let slab = min(Self.slabEntries, stored)
        var slabRows = [Int32](repeating: 0, count: slab)
        var slabValues = [Float](repeating: 0, count: slab)
        let rowsPerBucket = self.rowsPerBucket, rows = rowCount, columnBits = UInt32(self.columnBits), keyMask = self.keyMask
        var column = 0
        // The last row stored in the current column, to find a row stored twice; a column
        // whose rows are not ascending (allowed, though scipy writes them sorted) is checked
        // by sorting it after the pass.
        var lastRow = -1
        var unsortedColumns: [Int] = []
        var start = 0
        while start < stored {
            let count = min(slab, stored - start)
            try slabRows.withUnsafeMutableBufferPointer { try indices.read(Int32.self, into: $0.baseAddress!, start: start, count: count) }
            try slabValues.withUnsafeMutableBufferPointer { try data.read(Float.self, into: $0.baseAddress!, start: start, count: count) }
            for k in 0..<count {
                let entry = start + k
                while Int(pointers[column + 1]) <= entry {
                    column += 1
                    lastRow = -1
                }
                let r = Int(slabRows[k])
                guard r >= 0, r < rows else {
                    throw FileError(path, "'\(label)/indices' has row index \(r) outside 0..<\(rows)")
                }
                if r == lastRow {
                    throw Self.duplicate(path: path, label: label, column: column, row: r)
                }
                if r < lastRow, unsortedColumns.last != column { unsortedColumns.append(column) }
                lastRow = r
                let b = r / rowsPerBucket
                let slot = b * chunkEntries + filled[b]
                keyBuffer[slot] = (UInt32(r - b * rowsPerBucket) << columnBits | UInt32(column)) & keyMask
                valueBuffer[slot] = slabValues[k]
                filled[b] += 1
                if filled[b] == chunkEntries { try flush(b) }
            }
            start += count
        }
        for b in 0..<bucketCount { try flush(b) }
        for c in unsortedColumns {
            let lo = Int(pointers[c]), hi = Int(pointers[c + 1])
            var rowsOfColumn = try indices.read(Int32.self, start: lo, count: hi - lo)
            rowsOfColumn.sort()
            for i in 1..<rowsOfColumn.count where rowsOfColumn[i] == rowsOfColumn[i - 1] {
                throw Self.duplicate(path: path, label: label, column: c, row: Int(rowsOfColumn[i]))
            }
        }
    }

    private static func duplicate(path: String, label: String, column: Int, row: Int) -> FileError {
        FileError(path, "'\(label)': column \(column) stores row \(row) more than once; a sparse matrix with duplicate entries is ambiguous (scipy would add them): fix it with X.sum_duplicates() before converting")
    }

    /// Reads rows `range` as a CSR block.
    func readRows(_ range: Range<Int>) throws -> CSRRows {
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount)
        guard !range.isEmpty else { return .empty(at: range.lowerBound) }
        let first = range.lowerBound / rowsPerBucket, last = (range.upperBound - 1) / rowsPerBucket
        var indptr = [Int](repeating: 0, count: range.count + 1)
        var indices: [Int32] = []
        var values: [Float] = []
        for b in first...last {
            let bucket = try decode(b)
            let bucketStart = b * rowsPerBucket
            let lo = max(range.lowerBound, bucketStart) - bucketStart
            let hi = min(range.upperBound, bucketStart + bucket.rowCount) - bucketStart
            let entries = bucket.indptr[lo]..<bucket.indptr[hi]
            indices.append(contentsOf: bucket.indices[entries])
            values.append(contentsOf: bucket.values[entries])
            // Row pointers of this bucket's rows, shifted to the block's numbering.
            let shift = (indices.count - entries.count) - bucket.indptr[lo]
            let out = bucketStart + lo - range.lowerBound
            for r in lo..<hi { indptr[out + r - lo + 1] = bucket.indptr[r + 1] + shift }
        }
        return CSRRows(firstRow: range.lowerBound, indptr: indptr, indices: indices, values: values)
    }

    /// Bucket `b` as CSR rows numbered from the bucket's first row; the last one decoded is kept.
    private func decode(_ b: Int) throws -> CSRRows {
        if let decoded, decoded.bucket == b { return decoded.rows }
        decoded = nil
        let rows = min(rowsPerBucket, rowCount - b * rowsPerBucket)
        let total = chunks[b].reduce(0) { $0 + $1.count }
        var bucketKeys = [UInt32](repeating: 0, count: total)
        var bucketValues = [Float](repeating: 0, count: total)
        var at = 0
        for chunk in chunks[b] {
            let n = chunk.count
            try bucketKeys.withUnsafeMutableBytes { try scratch.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[(at * 4)..<((at + n) * 4)]), at: chunk.offset) }
            try bucketValues.withUnsafeMutableBytes { try scratch.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[(at * 4)..<((at + n) * 4)]), at: chunk.offset + n * 4) }
            at += n
        }
        // Stable counting sort by row: entries were scattered in column order, so each row's
        // columns come out ascending.
        let shift = UInt32(columnBits), columnMask = UInt32((1 << columnBits) - 1)
        var indptr = [Int](repeating: 0, count: rows + 1)
        for key in bucketKeys { indptr[Int(key >> shift) + 1] += 1 }
        for r in 0..<rows { indptr[r + 1] += indptr[r] }
        var next = indptr
        var indices = [Int32](repeating: 0, count: total)
        var values = [Float](repeating: 0, count: total)
        for k in 0..<total {
            let r = Int(bucketKeys[k] >> shift)
            indices[next[r]] = Int32(bitPattern: bucketKeys[k] & columnMask)
            values[next[r]] = bucketValues[k]
            next[r] += 1
        }
        let result = CSRRows(firstRow: b * rowsPerBucket, indptr: indptr, indices: indices, values: values)
        decoded = (b, result)
        return result
    }
}
