import Evaluation

/// One cell of a report table.
public enum ReportValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral {
    case text(String)
    case integer(Int)
    /// A real number, shown with the column's decimals or ~3 significant digits.
    case number(Double)
    /// A fraction shown as a percentage: 0.832 → 83.2%.
    case percent(Double)
    case empty

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }

    /// Whether the value is a number (right-aligned with tabular digits).
    public var isNumeric: Bool {
        switch self {
        case .integer, .number, .percent: return true
        case .text, .empty: return false
        }
    }

    /// The value as shown (see ``ReportNumberFormat``); `decimals` fixes the decimals of
    /// `.number` (and `.percent`) values.
    public func formatted(decimals: Int? = nil) -> String {
        switch self {
        case .text(let s): return s
        case .integer(let i): return ReportNumberFormat.integer(i)
        case .number(let v):
            if let decimals, v.isFinite { return ReportNumberFormat.fixed(v, decimals: decimals) }
            return ReportNumberFormat.number(v)
        case .percent(let v): return ReportNumberFormat.percent(v, decimals: decimals ?? 1)
        case .empty: return ""
        }
    }
}

/// A table of metrics (or any values) for an ``HTMLReport``.
///
/// Numeric columns are right-aligned with tabular figures. By default each `.number` gets about
/// three significant digits; `decimals[column]` fixes a column's decimals so that a column of
/// scores lines up (0.912, 0.870, 0.905).
public struct ReportTable: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[ReportValue]]
    /// A caption above the table.
    public var caption: String?
    /// A stable `id` for links (sanitised, made unique within the report).
    public var id: String?
    /// Fixed decimals per column index.
    public var decimals: [Int: Int]

    /// A table with a header row `columns` and `rows` of values (short rows are padded).
    public init(columns: [String], rows: [[ReportValue]], caption: String? = nil, id: String? = nil,
                decimals: [Int: Int] = [:]) {
        self.columns = columns
        self.rows = rows
        self.caption = caption
        self.id = id
        self.decimals = decimals
    }
}
