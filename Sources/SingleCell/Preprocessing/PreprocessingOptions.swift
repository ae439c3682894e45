import Foundation

/// The total each cell is scaled to by `normalize_total`.
public enum TargetSum: Equatable, Sendable, Codable, CustomStringConvertible {
    /// Scale every cell to this total (the paper uses 1e4).
    case fixed(Double)
    /// Scale to the median total of the cells kept (scanpy's default when no target is given).
    case median
    /// Do not normalise.
    case none

    /// Parses `1e4`, `10000`, `median` or `none`.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "median": self = .median
        case "none", "off": self = .none
        default:
            guard let v = Double(argument), v > 0, v.isFinite else { return nil }
            self = .fixed(v)
        }
    }

    public var description: String {
        switch self {
        case .fixed(let v): return String(v)
        case .median: return "median"
        case .none: return "none"
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .fixed(let v): try c.encode(v)
        case .median: try c.encode("median")
        case .none: try c.encodeNil()
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .none; return }
        if let v = try? c.decode(Double.self) { self = .fixed(v); return }
        let s = try c.decode(String.self)
        guard let t = TargetSum(argument: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "bad target sum \(s)")
        }
        self = t
    }
}

/// The logarithm applied after normalisation: `log(1 + x) / log(base)`.
public enum LogTransform: Equatable, Sendable, Codable, CustomStringConvertible {
    case base(Double)
    case natural
    case none

    /// Parses `10`, `2`, `e` or `none`.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "e", "natural", "ln": self = .natural
        case "none", "off": self = .none
        default:
            guard let v = Double(argument), v > 1, v.isFinite else { return nil }
            self = .base(v)
        }
    }

    public var description: String {
        switch self {
        case .base(let b): return b == b.rounded() ? String(Int(b)) : String(b)
        case .natural: return "e"
        case .none: return "none"
        }
    }

    /// The factor that turns a natural log into this log.
    var scale: Double {
        switch self {
        case .base(let b): return 1 / Foundation.log(b)
        case .natural: return 1
        case .none: return 0
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .base(let b): try c.encode(b)
        case .natural: try c.encode("e")
        case .none: try c.encodeNil()
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .none; return }
        if let v = try? c.decode(Double.self) { self = .base(v); return }
        self = .natural
    }
}

/// Quality control, filtering and normalisation settings, applied in scanpy's order:
/// `filter_cells(min_genes)`, `filter_genes(min_cells)`, `calculate_qc_metrics` with the
/// mitochondrial flag, the upper/lower limits on the QC metrics, `normalize_total`, `log1p`.
public struct PreprocessingOptions: Equatable, Sendable, Codable {
    /// Drop cells with fewer expressed genes (scanpy `filter_cells(min_genes=)`); 0 keeps all.
    public var minGenes: Int = 200
    /// Drop genes expressed in fewer cells (scanpy `filter_genes(min_cells=)`); 0 keeps all.
    public var minCells: Int = 3
    /// Drop cells with fewer total counts (after gene filtering).
    public var minCounts: Double? = nil
    /// Drop cells with more total counts (after gene filtering).
    public var maxCounts: Double? = nil
    /// Drop cells with more expressed genes (after gene filtering).
    public var maxGenes: Int? = nil
    /// Drop cells whose mitochondrial percentage is above this.
    public var maxPercentMito: Double? = nil
    /// Genes whose symbol starts with this prefix (case-insensitive) are mitochondrial.
    public var mitoPrefix: String = "MT-"
    public var targetSum: TargetSum = .fixed(1e4)
    public var log: LogTransform = .base(10)

    public init() {}

    enum CodingKeys: String, CodingKey {
        case minGenes = "min_genes", minCells = "min_cells", minCounts = "min_counts", maxCounts = "max_counts"
        case maxGenes = "max_genes", maxPercentMito = "max_pct_mito", mitoPrefix = "mito_prefix"
        case targetSum = "target_sum", log = "log_base"
    }

    /// Whether any cell filter beyond `minGenes` needs totals computed after gene filtering.
    var hasQCLimits: Bool { minCounts != nil || maxCounts != nil || maxGenes != nil || maxPercentMito != nil }
}
