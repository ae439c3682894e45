/// The values of one metadata column (one entry per cell or per gene).
public enum ColumnValues: Sendable, Equatable {
    case strings([String])
    /// Category codes (-1 means missing) into `categories`.
    case categorical(codes: [Int32], categories: [String])
    case integers([Int64])
    case reals([Double])
    case bools([Bool])

    public var count: Int {
        switch self {
        case .strings(let v): return v.count
        case .categorical(let c, _): return c.count
        case .integers(let v): return v.count
        case .reals(let v): return v.count
        case .bools(let v): return v.count
        }
    }

    /// The entry at `i` as text, or nil when missing (NaN, category code -1).
    public func text(at i: Int) -> String? {
        switch self {
        case .strings(let v): return v[i]
        case .categorical(let codes, let cats):
            let c = Int(codes[i])
            return c >= 0 && c < cats.count ? cats[c] : nil
        case .integers(let v): return String(v[i])
        case .reals(let v): return v[i].isNaN ? nil : String(v[i])
        case .bools(let v): return v[i] ? "true" : "false"
        }
    }

    /// Keeps the entries at `rows`, in that order.
    public func subset(_ rows: [Int]) -> ColumnValues {
        switch self {
        case .strings(let v): return .strings(rows.map { v[$0] })
        case .categorical(let c, let cats): return .categorical(codes: rows.map { c[$0] }, categories: cats)
        case .integers(let v): return .integers(rows.map { v[$0] })
        case .reals(let v): return .reals(rows.map { v[$0] })
        case .bools(let v): return .bools(rows.map { v[$0] })
        }
    }
}

/// One named column of a `DataFrame`.
public struct Column: Sendable, Equatable {
    public var name: String
    public var values: ColumnValues
    public init(_ name: String, _ values: ColumnValues) {
        self.name = name
        self.values = values
    }
}

/// A table of per-cell (`obs`) or per-gene (`var`) metadata with a string index, as in AnnData.
public struct DataFrame: Sendable, Equatable {
    /// Row names (cell barcodes or gene names).
    public var index: [String]
    public var columns: [Column]

    public init(index: [String], columns: [Column] = []) {
        self.index = index
        self.columns = columns
    }

    public var rowCount: Int { index.count }

    public func column(_ name: String) -> Column? { columns.first { $0.name == name } }

    public var columnNames: [String] { columns.map(\.name) }

    /// Keeps the rows at `rows`, in that order.
    public func subset(_ rows: [Int]) -> DataFrame {
        DataFrame(index: rows.map { index[$0] }, columns: columns.map { Column($0.name, $0.values.subset(rows)) })
    }
}
