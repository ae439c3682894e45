import Foundation

/// A sparse matrix as the (row, column, value) triples of a Matrix Market file, 0-based.
public struct CoordinateMatrix: Sendable {
    /// Matrix size declared by the file.
    public var rowCount: Int
    public var columnCount: Int
    /// Row and column of each stored entry (0-based), and its value, in file order.
    public var rows: [Int32]
    public var columns: [Int32]
    public var values: [Float]

    /// Number of stored entries.
    public var entryCount: Int { values.count }

    /// The matrix in CSR layout, rows ascending and columns ascending within each row.
    ///
    /// With `transposed`, the file's columns become rows (a 10x `matrix.mtx` is genes x cells;
    /// we want cells x genes). Two entries for the same position are an error naming the lines
    /// of `path` where they occur.
    public func csr(transposed: Bool = false, path: String) throws -> CSRRows {
        let result = transposed
            ? SparseAssembly.csr(major: columns, minor: rows, values: values, majorCount: columnCount)
            : SparseAssembly.csr(major: rows, minor: columns, values: values, majorCount: rowCount)
        if let (major, minor) = result.duplicate {
            let (row, column) = transposed ? (minor, major) : (major, minor)
            let lines = (try? MatrixMarketReader.lines(of: path, row: row, column: column)) ?? []
            let place = lines.count >= 2 ? "lines \(lines[0]) and \(lines[1]) both" : "two entries"
            throw FileError(path, "\(place) give a value for row \(row + 1), column \(column + 1); each position may appear only once")
        }
        return result.matrix
    }
}

/// Reads Matrix Market coordinate files (`%%MatrixMarket matrix coordinate integer|real|pattern general`),
/// plain or gzip-compressed.
///
/// Numbers are parsed from the raw bytes of each line, so a 10x `matrix.mtx.gz` with millions
/// of entries loads in a fraction of a second. Problems are reported with the line number.
public enum MatrixMarketReader {
    /// The value type declared in the header.
    enum Field: String, Sendable { case integer, real, pattern }

    /// Reads the whole file as coordinates.
    public static func read(_ path: String) throws -> CoordinateMatrix {
        let reader = try GzipLineReader(path: path)
        let field = try readBanner(reader)
        let (rowCount, columnCount, declared) = try readSize(reader)
        let sizeLine = reader.lineNumber

        // Reserve for the declared count, but never trust a header enough to reserve absurd memory.
        let reserve = min(declared, 1 << 26)
        var rows = [Int32](), columns = [Int32](), values = [Float]()
        rows.reserveCapacity(reserve)
        columns.reserveCapacity(reserve)
        values.reserveCapacity(reserve)

        let isPattern = field == .pattern
        var count = 0
        while let line = try reader.nextLine() {
            var p = line.baseAddress!
            let end = p + line.count
            p = skipBlanks(p, end)
            if p == end { continue }  // blank lines are harmless
            guard count < declared else {
                throw FileError(path, "line \(reader.lineNumber): more entries than the \(declared) declared in the size line")
            }
            // Row index.
            var q = tokenEnd(p, end)
            guard let r = TextNumbers.parseIndex(p, q) else { throw entryError(reader, "row index", p, q) }
            p = skipBlanks(q, end)
            // Column index.
            q = tokenEnd(p, end)
            guard let c = TextNumbers.parseIndex(p, q) else { throw entryError(reader, "column index", p, q) }
            p = skipBlanks(q, end)
            // Value.
            var v: Float = 1
            if !isPattern {
                q = tokenEnd(p, end)
                guard let parsed = TextNumbers.parseFloat(p, q) else { throw entryError(reader, "value", p, q) }
                v = parsed
                p = skipBlanks(q, end)
            }
            guard p == end else {
                throw FileError(path, "line \(reader.lineNumber): expected \(isPattern ? "2" : "3") numbers (row, column\(isPattern ? "" : ", value")), found more")
            }
            guard r >= 1 && r <= rowCount, c >= 1 && c <= columnCount else {
                throw FileError(path, "line \(reader.lineNumber): entry (\(r), \(c)) is outside the \(rowCount) x \(columnCount) matrix (indices start at 1)")
            }
            rows.append(Int32(truncatingIfNeeded: r - 1))
            columns.append(Int32(truncatingIfNeeded: c - 1))
            values.append(v)
            count += 1
        }
        guard count == declared else {
            throw FileError(path, "the size line (line \(sizeLine)) declares \(declared) entries but the file has \(count) (truncated file?)")
        }
        return CoordinateMatrix(rowCount: rowCount, columnCount: columnCount, rows: rows, columns: columns, values: values)
    }

    /// Line numbers of the entries at (`row`, `column`) (0-based); used only to explain duplicates.
    static func lines(of path: String, row: Int, column: Int) throws -> [Int] {
        let reader = try GzipLineReader(path: path)
        _ = try readBanner(reader)
        _ = try readSize(reader)
        var found: [Int] = []
        while let line = try reader.nextLine(), found.count < 2 {
            var p = line.baseAddress!
            let end = p + line.count
            p = skipBlanks(p, end)
            var q = tokenEnd(p, end)
            guard TextNumbers.parseIndex(p, q) == row + 1 else { continue }
            p = skipBlanks(q, end)
            q = tokenEnd(p, end)
            if TextNumbers.parseIndex(p, q) == column + 1 { found.append(reader.lineNumber) }
        }
        return found
    }

    private static func readBanner(_ reader: GzipLineReader) throws -> Field {
        guard let line = try reader.nextLine() else {
            throw FileError(reader.path, "the file is empty (expected a Matrix Market header)")
        }
        let words = String(decoding: line, as: UTF8.self).lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2, words[0] == "%%matrixmarket", words[1] == "matrix" else {
            throw FileError(reader.path, "line 1: not a Matrix Market file (expected a first line like '%%MatrixMarket matrix coordinate integer general')")
        }
        guard words.count == 5 else {
            throw FileError(reader.path, "line 1: the Matrix Market header must have 5 words, e.g. '%%MatrixMarket matrix coordinate integer general'")
        }
        guard words[2] == "coordinate" else {
            throw FileError(reader.path, "line 1: only sparse 'coordinate' Matrix Market files are supported, this one is '\(words[2])'")
        }
        guard let field = Field(rawValue: String(words[3])) else {
            throw FileError(reader.path, "line 1: unsupported value type '\(words[3])' (expected integer, real or pattern)")
        }
        guard words[4] == "general" else {
            throw FileError(reader.path, "line 1: only 'general' matrices are supported, this one is '\(words[4])'")
        }
        return field
    }

    /// Skips comment lines and reads `rows columns entries`.
    private static func readSize(_ reader: GzipLineReader) throws -> (Int, Int, Int) {
        while let line = try reader.nextLine() {
            if line.isEmpty || line[0] == 37 { continue }  // '%' comment
            let words = String(decoding: line, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" })
            let numbers = words.compactMap { Int($0) }
            guard words.count == 3, numbers.count == 3, numbers.allSatisfy({ $0 >= 0 }) else {
                throw FileError(reader.path, "line \(reader.lineNumber): expected the size line 'rows columns entries', found '\(String(decoding: line.prefix(80), as: UTF8.self))'")
            }
            guard numbers[0] <= Int(Int32.max), numbers[1] <= Int(Int32.max) else {
                throw FileError(reader.path, "line \(reader.lineNumber): matrix size \(numbers[0]) x \(numbers[1]) is too large")
            }
            return (numbers[0], numbers[1], numbers[2])
        }
        throw FileError(reader.path, "the file ends before the size line 'rows columns entries'")
    }

    private static func entryError(_ reader: GzipLineReader, _ what: String, _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> FileError {
        let text = String(decoding: UnsafeBufferPointer(start: start, count: min(end - start, 40)), as: UTF8.self)
        return FileError(reader.path, text.isEmpty
            ? "line \(reader.lineNumber): missing \(what)"
            : "line \(reader.lineNumber): '\(text)' is not a valid \(what)")
    }

    @inline(__always)
    private static func skipBlanks(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
        var p = p
        while p < end && (p.pointee == 32 || p.pointee == 9) { p += 1 }
        return p
    }

    @inline(__always)
    private static func tokenEnd(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
        var p = p
        while p < end && p.pointee != 32 && p.pointee != 9 { p += 1 }
        return p
    }
}

/// Turns (major, minor, value) triples into CSR by a stable counting sort.
enum SparseAssembly {
    /// The CSR matrix, and the first (major, minor) position found twice, if any.
    static func csr(major: [Int32], minor: [Int32], values: [Float], majorCount: Int) -> (matrix: CSRRows, duplicate: (Int, Int)?) {
        let n = values.count
        var indptr = [Int](repeating: 0, count: majorCount + 1)
        var indices = [Int32](repeating: 0, count: n)
        var outValues = [Float](repeating: 0, count: n)
        var duplicate: (Int, Int)? = nil
        indptr.withUnsafeMutableBufferPointer { ptr in
            major.withUnsafeBufferPointer { maj in
                for k in 0..<n { ptr[Int(maj[k]) + 1] += 1 }
                for i in 0..<majorCount { ptr[i + 1] += ptr[i] }
                // `next` is the fill position of each row; reuse a scratch copy of the pointers.
                var next = [Int](ptr[0..<majorCount])
                next.withUnsafeMutableBufferPointer { next in
                    minor.withUnsafeBufferPointer { mnr in
                        values.withUnsafeBufferPointer { val in
                            indices.withUnsafeMutableBufferPointer { idx in
                                outValues.withUnsafeMutableBufferPointer { out in
                                    for k in 0..<n {
                                        let r = Int(maj[k])
                                        let pos = next[r]
                                        next[r] = pos + 1
                                        idx[pos] = mnr[k]
                                        out[pos] = val[k]
                                    }
                                    duplicate = sortRows(indptr: UnsafeBufferPointer(ptr), indices: idx, values: out)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (CSRRows(firstRow: 0, indptr: indptr, indices: indices, values: outValues), duplicate)
    }

    /// Sorts each row by column where the file was not already sorted (10x files are), and
    /// returns the first repeated position.
    private static func sortRows(indptr: UnsafeBufferPointer<Int>, indices: UnsafeMutableBufferPointer<Int32>, values: UnsafeMutableBufferPointer<Float>) -> (Int, Int)? {
        var firstDuplicate: (Int, Int)? = nil
        for r in 0..<(indptr.count - 1) {
            let lo = indptr[r], hi = indptr[r + 1]
            var sorted = true
            var k = lo + 1
            while k < hi {
                if indices[k] <= indices[k - 1] { sorted = false; break }
                k += 1
            }
            if sorted { continue }
            // Rare path: sort this row's entries by column, carrying the values along.
            var pairs = (lo..<hi).map { (indices[$0], values[$0]) }
            pairs.sort { $0.0 < $1.0 }
            for (j, pair) in pairs.enumerated() {
                indices[lo + j] = pair.0
                values[lo + j] = pair.1
                if j > 0, pair.0 == pairs[j - 1].0, firstDuplicate == nil { firstDuplicate = (r, Int(pair.0)) }
            }
        }
        return firstDuplicate
    }
}

extension MatrixMarketReader {
    /// A plain Matrix Market file as an expression source: rows are cells and columns genes,
    /// unless `genesAsRows`.
    ///
    /// Names come from sidecar files next to the matrix when present (`<name>.genes.tsv`,
    /// `<name>.features.tsv`, `<name>_genes.tsv`, ... and `<name>.barcodes.tsv`, `<name>.cells.tsv`,
    /// optionally gzipped; for `<prefix>matrix.mtx` also `<prefix>genes.tsv` etc.); otherwise
    /// genes are called `gene_1`, `gene_2`, ... and cells `cell_1`, `cell_2`, ...
    public static func source(path: String, genesAsRows: Bool = false, geneIDs: Bool = false) throws -> InMemorySource {
        let coordinates = try read(path)
        let matrix = try coordinates.csr(transposed: genesAsRows, path: path)
        let cellCount = genesAsRows ? coordinates.columnCount : coordinates.rowCount
        let geneCount = genesAsRows ? coordinates.rowCount : coordinates.columnCount
        let sidecars = MatrixMarketSidecars(matrixPath: path)

        var genes = DataFrame(index: (1...max(geneCount, 1)).prefix(geneCount).map { "gene_\($0)" })
        if let genesPath = sidecars.genes {
            let table = try TenXFeatures.read(genesPath)
            try checkSidecar(genesPath, names: table.count, expected: geneCount, other: cellCount, role: "genes", matrixPath: path, genesAsRows: genesAsRows)
            genes = try table.frame(geneIDs: geneIDs, path: genesPath)
        } else if geneIDs {
            throw FileError(path, "gene ids were requested, but there is no genes/features file next to this matrix")
        }
        var cellNames = (1...max(cellCount, 1)).prefix(cellCount).map { "cell_\($0)" }
        if let barcodesPath = sidecars.barcodes {
            let names = try TenXFeatures.readNames(barcodesPath)
            try checkSidecar(barcodesPath, names: names.count, expected: cellCount, other: geneCount, role: "cells", matrixPath: path, genesAsRows: genesAsRows)
            cellNames = names
        }
        let warnings = LayoutHeuristics.transposeWarnings(cellNames: cellNames, geneNames: genes.index, path: path)
        return InMemorySource(path: path, matrix: matrix, obs: DataFrame(index: cellNames), genes: genes, warnings: warnings)
    }

    private static func checkSidecar(_ sidecar: String, names: Int, expected: Int, other: Int, role: String, matrixPath: String, genesAsRows: Bool) throws {
        guard names != expected else { return }
        let file = (matrixPath as NSString).lastPathComponent
        let axis = (role == "cells") != genesAsRows ? "rows" : "columns"
        var problem = "has \(names) \(role) but \(file) has \(expected) \(axis)"
        if names == other {
            problem += genesAsRows
                ? "; the \(role) seem to be the other way round: drop --genes-as-rows"
                : "; the genes seem to be the rows: use --genes-as-rows"
        }
        throw FileError(sidecar, problem)
    }
}

/// Finds the files that name the rows and columns of a plain `.mtx` file.
struct MatrixMarketSidecars {
    var genes: String?
    var barcodes: String?

    init(matrixPath: String) {
        let url = URL(fileURLWithPath: matrixPath)
        let folder = url.deletingLastPathComponent().path
        var name = url.lastPathComponent
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".mtx") { name.removeLast(4) }
        var prefixes = [name + ".", name + "_"]
        if name.hasSuffix("matrix") && name != "matrix" { prefixes.append(String(name.dropLast(6))) }
        genes = Self.first(in: folder, prefixes: prefixes, names: ["genes", "features"])
        barcodes = Self.first(in: folder, prefixes: prefixes, names: ["barcodes", "cells"])
    }

    static func first(in folder: String, prefixes: [String], names: [String]) -> String? {
        for prefix in prefixes {
            for name in names {
                for ext in [".tsv", ".tsv.gz"] {
                    let candidate = (folder as NSString).appendingPathComponent(prefix + name + ext)
                    if FileManager.default.fileExists(atPath: candidate) { return candidate }
                }
            }
        }
        return nil
    }
}
