import Foundation

/// Reads a dense expression table from CSV or TSV text, optionally gzip-compressed.
///
/// The first line is the header: an optional index name (often empty) followed by one name per
/// column. Each following line is a row name and then one number per column. By default rows
/// are cells and columns genes; with `genesAsRows` it is the other way round (as R writes
/// count tables) and the matrix is transposed. Files written by R's `write.table`, whose header
/// lacks the index-name field, are recognised by their one-field-shorter header.
/// Names may be quoted ("..." with "" for a quote); numbers may be quoted too. Text such as
/// `NaN` or `Inf` is read as a non-finite number; later steps decide what to do with it.
public final class DelimitedTextSource: ExpressionSource {
    public let path: String
    public let obs: DataFrame
    public let genes: DataFrame
    public var geneNames: [String] { genes.index }
    public let warnings: [String]
    /// The field separator that was used (`,` or tab).
    public let delimiter: UInt8
    private let matrix: InMemorySource

    public var cellCount: Int { matrix.cellCount }
    public var geneCount: Int { genes.rowCount }
    public var streams: Bool { false }

    /// Reads the whole table.
    ///
    /// - Parameters:
    ///   - delimiter: the expected separator (`UInt8(ascii: ",")` or `UInt8(ascii: "\t")`); nil
    ///     guesses from the file name. The header line wins when it clearly uses the other one.
    ///   - genesAsRows: rows are genes and columns cells.
    public init(path: String, delimiter: UInt8? = nil, genesAsRows: Bool = false) throws {
        self.path = path
        let reader = try GzipLineReader(path: path)
        guard let headerLine = try reader.nextLine() else {
            throw FileError(path, "the file is empty (expected a header line with gene names)")
        }
        let delimiter = Self.chooseDelimiter(headerLine, hint: delimiter ?? Self.delimiter(forName: path))
        self.delimiter = delimiter
        var header = try Self.splitHeader(headerLine, delimiter: delimiter, path: path)
        guard header.count >= 2 || (header.count == 1 && !header[0].isEmpty) else {
            throw FileError(path, "line 1: the header has no column names")
        }

        // Sparse storage of the rows as they come: column, value of each non-zero.
        var rowNames: [String] = []
        var indptr: [Int] = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        var expectedFields = -1  // fields per data line, fixed by the first one
        let columnWord = genesAsRows ? "cell" : "gene"

        while let line = try reader.nextLine() {
            if line.isEmpty { continue }
            if expectedFields < 0 {
                // R writes a header without the index field: one name fewer than data fields.
                let fields = Self.countFields(line, delimiter: delimiter)
                guard fields == header.count || fields == header.count + 1 else {
                    throw FileError(path, "line \(reader.lineNumber) has \(fields) fields but the header (line 1) has \(header.count)")
                }
                expectedFields = fields
                if fields == header.count { header.removeFirst() }  // drop the index name
            }
            let base = line.baseAddress!
            let end = base + line.count
            var p = base
            let (name, afterName) = try Self.field(p, end, delimiter: delimiter, reader: reader, column: 1)
            rowNames.append(name)
            p = afterName
            var column = 0  // 0-based data column
            var fieldsSeen = 1
            while p < end {
                p += 1  // the delimiter
                fieldsSeen += 1
                var start = p
                var stop: UnsafePointer<UInt8>
                if p < end && p.pointee == 34 {  // quoted number
                    start = p + 1
                    stop = start
                    while stop < end && stop.pointee != 34 { stop += 1 }
                    guard stop < end else { throw FileError(path, "line \(reader.lineNumber), column \(fieldsSeen): unterminated quote") }
                    p = stop + 1
                } else {
                    stop = p
                    while stop < end && stop.pointee != delimiter { stop += 1 }
                    p = stop
                }
                // Tolerate blanks around numbers ("1, 2, 3").
                while start < stop && (start.pointee == 32 || start.pointee == 9) { start += 1 }
                while stop > start && (stop[-1] == 32 || stop[-1] == 9) { stop -= 1 }
                guard let v = TextNumbers.parseFloat(start, stop) else {
                    let text = String(decoding: UnsafeBufferPointer(start: start, count: min(stop - start, 40)), as: UTF8.self)
                    let label = column < header.count ? " (\(columnWord) '\(header[column])')" : ""
                    throw FileError(path, text.isEmpty
                        ? "line \(reader.lineNumber), column \(fieldsSeen)\(label): empty value where a number was expected"
                        : "line \(reader.lineNumber), column \(fieldsSeen)\(label): '\(text)' is not a number")
                }
                if v != 0 {
                    columns.append(Int32(truncatingIfNeeded: column))
                    values.append(v)
                }
                column += 1
                if p < end && p.pointee != delimiter {
                    throw FileError(path, "line \(reader.lineNumber), column \(fieldsSeen): unexpected text after a quoted number")
                }
            }
            if fieldsSeen != expectedFields {
                throw FileError(path, "line \(reader.lineNumber) has \(fieldsSeen) fields but earlier lines have \(expectedFields) (ragged table)")
            }
            indptr.append(columns.count)
        }
        if expectedFields < 0 { header.removeFirst() }  // header only: its first field is the index name

        let columnCount = header.count
        let rowCount = rowNames.count
        let csr: CSRRows
        if genesAsRows {
            // Expand the row of each entry, then sort by cell.
            var rowOfEntry = [Int32](repeating: 0, count: values.count)
            for r in 0..<rowCount {
                for k in indptr[r]..<indptr[r + 1] { rowOfEntry[k] = Int32(truncatingIfNeeded: r) }
            }
            csr = SparseAssembly.csr(major: columns, minor: rowOfEntry, values: values, majorCount: columnCount).matrix
            obs = DataFrame(index: header)
            genes = DataFrame(index: rowNames)
        } else {
            csr = CSRRows(firstRow: 0, indptr: indptr, indices: columns, values: values)
            obs = DataFrame(index: rowNames)
            genes = DataFrame(index: header)
        }
        warnings = LayoutHeuristics.transposeWarnings(cellNames: obs.index, geneNames: genes.index, path: path)
        matrix = InMemorySource(path: path, matrix: csr, obs: obs, genes: genes)
    }

    public func readRows(_ range: Range<Int>) throws -> CSRRows { try matrix.readRows(range) }

    /// Number of fields in a line, honouring quotes.
    static func countFields(_ line: UnsafeBufferPointer<UInt8>, delimiter: UInt8) -> Int {
        var fields = 1, quoted = false
        for b in line {
            if b == 34 { quoted.toggle() } else if b == delimiter && !quoted { fields += 1 }
        }
        return fields
    }

    /// Tab for `.tsv`/`.tab`, comma for `.csv` (ignoring `.gz`); nil when the name does not say.
    static func delimiter(forName path: String) -> UInt8? {
        var name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") { return UInt8(ascii: ",") }
        if name.hasSuffix(".tsv") || name.hasSuffix(".tab") { return UInt8(ascii: "\t") }
        return nil
    }

    /// The separator the header uses: the hint unless the header has only the other one.
    static func chooseDelimiter(_ header: UnsafeBufferPointer<UInt8>, hint: UInt8?) -> UInt8 {
        var tabs = 0, commas = 0, quoted = false
        for b in header {
            if b == 34 { quoted.toggle() } else if !quoted {
                if b == 9 { tabs += 1 } else if b == 44 { commas += 1 }
            }
        }
        let tab = UInt8(ascii: "\t"), comma = UInt8(ascii: ",")
        if tabs > 0 && commas == 0 { return tab }
        if commas > 0 && tabs == 0 { return comma }
        if let hint { return hint }
        return tabs >= commas ? tab : comma
    }

    /// Splits the header into names, undoing quotes.
    static func splitHeader(_ line: UnsafeBufferPointer<UInt8>, delimiter: UInt8, path: String) throws -> [String] {
        let base = line.baseAddress!
        let end = base + line.count
        var names: [String] = []
        var p = base
        while true {
            let (name, next) = try parseField(p, end, delimiter: delimiter) { "line 1, column \(names.count + 1): \($0)" }.get(path)
            names.append(name)
            guard next < end else { break }
            p = next + 1
        }
        return names
    }

    /// Reads one possibly-quoted name field; returns it and the position of the delimiter (or end).
    private static func field(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, delimiter: UInt8, reader: GzipLineReader, column: Int) throws -> (String, UnsafePointer<UInt8>) {
        try parseField(p, end, delimiter: delimiter) { "line \(reader.lineNumber), column \(column): \($0)" }.get(reader.path)
    }

    private struct Parsed {
        var value: (String, UnsafePointer<UInt8>)?
        var problem: String?
        func get(_ path: String) throws -> (String, UnsafePointer<UInt8>) {
            if let value { return value }
            throw FileError(path, problem ?? "unreadable field")
        }
    }

    private static func parseField(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, delimiter: UInt8, where place: (String) -> String) -> Parsed {
        var p = start
        guard p < end, p.pointee == 34 else {
            while p < end && p.pointee != delimiter { p += 1 }
            return Parsed(value: (String(decoding: UnsafeBufferPointer(start: start, count: p - start), as: UTF8.self), p))
        }
        // Quoted: "" inside stands for one quote.
        var bytes: [UInt8] = []
        p += 1
        while true {
            guard p < end else { return Parsed(problem: place("unterminated quote (multi-line fields are not supported)")) }
            if p.pointee == 34 {
                if p + 1 < end && p[1] == 34 {
                    bytes.append(34)
                    p += 2
                    continue
                }
                p += 1
                break
            }
            bytes.append(p.pointee)
            p += 1
        }
        guard p == end || p.pointee == delimiter else {
            return Parsed(problem: place("unexpected text after a closing quote"))
        }
        return Parsed(value: (String(decoding: bytes, as: UTF8.self), p))
    }
}
