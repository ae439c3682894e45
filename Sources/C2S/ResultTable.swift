import Foundation
import CellSentences
import Prompts
import SingleCell

/// Per-cell (or per-group) results as named text columns, written as a CSV file and as the
/// `obs` of an `.h5ad`.
public struct ResultTable: Sendable {
    /// Row names (cell names; the CSV's first column, the h5ad's obs index).
    public var index: [String] = []
    public var indexName = "cell_name"
    public private(set) var columns: [(name: String, values: [String?])] = []

    public init(indexName: String = "cell_name") { self.indexName = indexName }

    /// The cells `rows` of `table`, named by cell and with the table's columns: what a per-cell
    /// run's results table starts from, before its own columns.
    init(cells table: CellTable, rows: [Int]) {
        index = rows.map { table.cells[$0].name }
        for field in table.fieldNames { add(field, rows.map { table.cells[$0].fields[field] }) }
    }

    /// Appends a column (one value per row; nil is missing).
    public mutating func add(_ name: String, _ values: [String?]) {
        precondition(values.count == index.count, "column \(name) has \(values.count) values for \(index.count) rows")
        if let k = columns.firstIndex(where: { $0.name == name }) { columns[k].values = values } else { columns.append((name, values)) }
    }

    public mutating func add(_ name: String, numbers: [Double?]) {
        add(name, numbers.map { $0.map { $0.isFinite ? "\($0)" : "nan" } })
    }

    /// A name that HDF5 and anndata accept as a column ("/" becomes "_").
    public static func columnName(_ name: String) -> String {
        let n = name.replacingOccurrences(of: "/", with: "_")
        return n.isEmpty || n == "." || n == ".." || n == "_index" ? "_" + n : n
    }

    /// The table as an AnnData dataframe: columns whose every value is a number become numbers
    /// (integers when whole), columns with few distinct values categories, others strings.
    public func dataFrame() -> DataFrame {
        var seen = Set<String>()
        var out: [Column] = []
        for (name, values) in columns {
            var n = Self.columnName(name)
            while !seen.insert(n).inserted { n += "_" }
            out.append(Column(n, Self.guess(values)))
        }
        return DataFrame(index: index, columns: out)
    }

    static func guess(_ values: [String?]) -> ColumnValues {
        let present = values.compactMap { $0 }
        if !present.isEmpty {
            if present.count == values.count, case let ints = present.compactMap({ Int64($0) }), ints.count == present.count {
                return .integers(ints)
            }
            let numbers = values.map { $0.flatMap { Double($0) } }
            if zip(values, numbers).allSatisfy({ ($0 == nil) == ($1 == nil) }) {
                return .reals(numbers.map { $0 ?? .nan })
            }
            if present.count == values.count, present.allSatisfy({ $0 == "true" || $0 == "false" }) {
                return .bools(present.map { $0 == "true" })
            }
        }
        let categories = Array(Set(present)).sorted()
        if categories.count <= max(1, values.count / 2) {
            let code = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, Int32($0)) })
            return .categorical(codes: values.map { $0.map { code[$0]! } ?? -1 }, categories: categories)
        }
        return .strings(values.map { $0 ?? "" })
    }

    /// Writes the table as CSV (RFC 4180 quoting; missing values empty), atomically.
    public func writeCSV(_ path: String, overwrite: Bool) throws {
        let out = try LineOutput(path: path, overwrite: overwrite)
        try out.write(([indexName] + columns.map(\.name)).map(Self.quote).joined(separator: ","))
        for r in index.indices {
            var fields = [Self.quote(index[r])]
            for c in columns { fields.append(c.values[r].map(Self.quote) ?? "") }
            try out.write(fields.joined(separator: ","))
        }
        try out.commit()
    }

    static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Writes an `.h5ad` whose `obs` is this table, with `obsm` matrices and no genes (`X` is
    /// cells x 0): the file carries results to join to the input's AnnData by cell name.
    public func writeH5AD(_ path: String, obsm: [String: DenseFloatMatrix] = [:]) throws {
        try H5ADWriter.write(path: path, matrix: CSRRows(firstRow: 0, indptr: [Int](repeating: 0, count: index.count + 1), indices: [], values: []),
                             obs: dataFrame(), vars: DataFrame(index: []), obsm: obsm)
    }
}
