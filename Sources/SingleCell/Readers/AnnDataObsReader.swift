/// The `obs` table of an `.h5ad` file read by row range, so that a conversion holds the
/// metadata of one block of cells at a time instead of every cell's.
///
/// Opening reads the layout only (column names and kinds, the categories of categorical
/// columns) and checks it as `AnnDataFrame.read` does: the index and every column have one
/// entry per cell, and every categorical code names a category (the codes are scanned in
/// blocks, not kept). Nullable arrays are read whole when opened (their categories depend on
/// every value), which is rare in `obs`.
final class AnnDataObsReader {
    private typealias Stored = AnnDataFrame.StoredColumn

    private let index: H5Dataset
    private let integerIndex: Bool
    private let stored: [(name: String, values: Stored)]
    /// The columns in file order with no rows (categorical columns keep their categories).
    let schema: DataFrame
    let rowCount: Int
    private let path: String

    /// Codes of categorical columns are checked this many at a time when opening.
    static let checkBlock = 1 << 16

    init(_ group: H5Group, expectedRows: Int, role: String) throws {
        let file = group.file.path
        path = file
        rowCount = expectedRows
        let indexName = group.attributes.string("_index") ?? (group.contains("_index") ? "_index" : "index")
        guard group.kind(of: indexName) == .dataset else {
            throw FileError(file, "\(role) has no index dataset '\(indexName)'")
        }
        index = try group.dataset(indexName)
        switch index.elementClass {
        case .string: integerIndex = false
        case .integer: integerIndex = true
        default: throw FileError(file, "index \(index.path) is neither text nor integers")
        }
        guard index.count == expectedRows else {
            throw FileError(file, "\(role) has \(index.count) rows but the matrix has \(expectedRows) cells (rows)")
        }
        var order = group.attributes.strings("column-order") ?? []
        if order.isEmpty {
            order = group.memberNames().filter { $0 != indexName && $0 != "__categories" }
        }
        var stored: [(name: String, values: Stored)] = []
        for name in order where group.contains(name) {
            guard let values = try AnnDataFrame.locateColumn(group, name) else { continue }
            guard values.count == expectedRows else {
                throw FileError(file, "\(role) column '\(name)' has \(values.count) entries, expected \(expectedRows)")
            }
            if case .categorical(let codes, let categories) = values {
                var start = 0
                while start < expectedRows {
                    let n = min(Self.checkBlock, expectedRows - start)
                    _ = try Self.checkedCodes(codes, start: start, count: n, categories: categories.count, file: file, column: name)
                    start += n
                }
            }
            stored.append((name, values))
        }
        self.stored = stored
        schema = DataFrame(index: [], columns: try stored.map { name, values in
            Column(name, try Self.read(values, start: 0, count: 0, file: file, column: name))
        })
    }

    /// Reads categorical codes, refusing one that names no category (a damaged file).
    private static func checkedCodes(_ codes: H5Dataset, start: Int, count: Int, categories: Int, file: String, column: String) throws -> [Int32] {
        let values = try codes.read(Int32.self, start: start, count: count)
        if let bad = values.firstIndex(where: { $0 < -1 || Int($0) >= categories }) {
            throw FileError(file, "column '\(column)': categorical code \(values[bad]) at row \(start + bad) is outside its \(categories) categories (the file is damaged)")
        }
        return values
    }

    private static func read(_ values: Stored, start: Int, count: Int, file: String, column: String) throws -> ColumnValues {
        if count == 0 {
            switch values {
            case .strings: return .strings([])
            case .categorical(_, let categories): return .categorical(codes: [], categories: categories)
            case .integers: return .integers([])
            case .reals: return .reals([])
            case .bools: return .bools([])
            case .held(let all): return all.subset([])
            }
        }
        switch values {
        case .strings(let ds): return .strings(try ds.readStrings(start: start, count: count))
        case .categorical(let codes, let categories):
            return .categorical(codes: try checkedCodes(codes, start: start, count: count, categories: categories.count, file: file, column: column),
                                categories: categories)
        case .integers(let ds): return .integers(try ds.read(Int64.self, start: start, count: count))
        case .reals(let ds): return .reals(try ds.read(Double.self, start: start, count: count))
        case .bools(let ds): return .bools(try ds.read(UInt8.self, start: start, count: count).map { $0 != 0 })
        case .held(let all): return all.subset(Array(start..<(start + count)))
        }
    }

    /// The cell names of rows `range`.
    func names(_ range: Range<Int>) throws -> [String] {
        try names(start: range.lowerBound, count: range.count, stride: 1)
    }

    /// `count` cell names from `start`, every `stride`-th.
    func names(start: Int, count: Int, stride: Int) throws -> [String] {
        if !integerIndex { return try index.readStrings(start: start, count: count, stride: stride) }
        guard count > 0 else { return [] }
        // Integer indices are small; read the span and keep every stride-th.
        let span = try index.read(Int64.self, start: start, count: (count - 1) * stride + 1)
        return Swift.stride(from: 0, to: span.count, by: stride).map { String(span[$0]) }
    }

    /// Rows `range`: the cell names and the columns named in `columns` that exist, in file order.
    func read(_ range: Range<Int>, columns: [String]) throws -> DataFrame {
        let wanted = stored.filter { columns.contains($0.name) }
        return DataFrame(index: try names(range), columns: try wanted.map { name, values in
            Column(name, try Self.read(values, start: range.lowerBound, count: range.count, file: path, column: name))
        })
    }
}
