/// A cells x genes expression matrix with its metadata, read block by block.
///
/// File readers implement this so that preprocessing and conversion can stream over cells
/// without knowing the file format. Implementations are used from one thread at a time.
public protocol ExpressionSource: AnyObject {
    /// The file (or folder) the data comes from, as the user named it.
    var path: String { get }
    /// Number of cells (rows).
    var cellCount: Int { get }
    /// Number of genes (columns).
    var geneCount: Int { get }
    /// Per-cell metadata; its index holds the cell names. A source that keeps `obs` on disk
    /// (`ReadOptions.obsOnDemand`) reads it whole on first use: code that streams over cells
    /// uses `obsSchema` and `readObs` instead.
    var obs: DataFrame { get }
    /// The obs columns (names, kinds, the categories of categorical ones) with no rows.
    var obsSchema: DataFrame { get }
    /// Rows `range` of obs: their cell names and those of `columns` that exist (in the order
    /// of `obsSchema`); categorical codes index the categories `obsSchema` lists.
    func readObs(_ range: Range<Int>, columns: [String]) throws -> DataFrame
    /// Per-gene metadata; `geneNames` are the names used for sentences.
    var genes: DataFrame { get }
    /// The gene names used in sentences (the `var` index or a chosen `var` column).
    var geneNames: [String] { get }
    /// Whether `readRows` reads from disk on demand (true) or from a matrix held in memory.
    var streams: Bool { get }
    /// Reads rows `range` (cells) as a CSR block.
    func readRows(_ range: Range<Int>) throws -> CSRRows
    /// Human-readable notes about the input that the user should see (e.g. a matrix that
    /// looks transposed).
    var warnings: [String] { get }
}

extension ExpressionSource {
    /// The schema of an obs held in memory.
    public var obsSchema: DataFrame {
        DataFrame(index: [], columns: obs.columns.map { Column($0.name, $0.values.subset([])) })
    }

    /// Rows of an obs held in memory.
    public func readObs(_ range: Range<Int>, columns: [String]) throws -> DataFrame {
        let obs = self.obs
        let rows = Array(range)
        // An index shorter than the matrix (a source made without names) gives what it has.
        return DataFrame(index: Array(obs.index[range.clamped(to: 0..<obs.index.count)]),
                         columns: obs.columns.filter { columns.contains($0.name) }.map { Column($0.name, $0.values.subset(rows)) })
    }
}

/// An expression matrix held entirely in memory (used by text formats, which cannot be read
/// by row range without parsing everything, and by tests).
public final class InMemorySource: ExpressionSource {
    public let path: String
    public let obs: DataFrame
    public let genes: DataFrame
    public let geneNames: [String]
    public var warnings: [String]
    let matrix: CSRRows
    public var streams: Bool { false }
    public var cellCount: Int { matrix.rowCount }
    public var geneCount: Int { geneNames.count }

    public init(path: String, matrix: CSRRows, obs: DataFrame, genes: DataFrame, geneNames: [String]? = nil, warnings: [String] = []) {
        self.path = path
        self.matrix = matrix
        self.obs = obs
        self.genes = genes
        self.geneNames = geneNames ?? genes.index
        self.warnings = warnings
    }

    public func readRows(_ range: Range<Int>) throws -> CSRRows {
        let lo = matrix.indptr[range.lowerBound], hi = matrix.indptr[range.upperBound]
        return CSRRows(
            firstRow: range.lowerBound,
            indptr: matrix.indptr[range.lowerBound...range.upperBound].map { $0 - lo },
            indices: Array(matrix.indices[lo..<hi]),
            values: Array(matrix.values[lo..<hi]))
    }
}
