import Foundation
import SingleCell

/// A whole expression file in memory for evaluation: the matrix as ``FeatureRows``, gene names,
/// cell names and `obs`.
public struct ExpressionMatrix: Sendable {
    /// The file as the user named it.
    public let path: String
    public let genes: [String]
    public let cellNames: [String]
    public let obs: DataFrame
    public let matrix: FeatureRows
    /// Notes from the reader (e.g. a matrix that looks transposed).
    public let warnings: [String]

    public init(path: String, genes: [String], cellNames: [String], obs: DataFrame, matrix: FeatureRows, warnings: [String] = []) {
        precondition(matrix.columnCount == genes.count && matrix.rowCount == cellNames.count)
        self.path = path
        self.genes = genes
        self.cellNames = cellNames
        self.obs = obs
        self.matrix = matrix
        self.warnings = warnings
    }

    /// Reads any count-matrix file c2s reads (`.h5ad` for `obs` columns; `X` unless `options`
    /// says otherwise), block by block.
    public static func read(_ path: String, options: ReadOptions = .init()) throws -> ExpressionMatrix {
        let source = try ExpressionReader.open(path, options: options)
        var indptr = [0], indices: [Int32] = [], values: [Double] = []
        var start = 0
        while start < source.cellCount {
            let end = min(source.cellCount, start + 8192)
            let block = FeatureRows(try source.readRows(start..<end), columnCount: source.geneCount)
            for e in 0..<block.values.count where !block.values[e].isFinite {
                throw FileError(path, "the matrix holds a non-finite value (NaN or infinity)")
            }
            for r in 0..<block.rowCount { indptr.append(indices.count + block.indptr[r + 1]) }
            indices.append(contentsOf: block.indices)
            values.append(contentsOf: block.values)
            start = end
        }
        let matrix = FeatureRows(rowCount: source.cellCount, columnCount: source.geneCount, indptr: indptr, indices: indices, values: values)
        return ExpressionMatrix(path: path, genes: source.geneNames, cellNames: source.obs.index, obs: source.obs, matrix: matrix,
                         warnings: source.warnings)
    }

    /// The text of `obs` column `name` per cell (nil where missing), or a clear error listing the
    /// columns there are.
    public func column(_ name: String) throws -> [String?] {
        guard let c = obs.column(name) else {
            throw FileError(path, "no obs column '\(name)'; obs columns: \(obs.columnNames.isEmpty ? "none" : obs.columnNames.joined(separator: ", "))")
        }
        return (0..<c.values.count).map { c.values.text(at: $0) }
    }

    /// Whether `obs` has a column `name`.
    public func hasColumn(_ name: String) -> Bool { obs.column(name) != nil }

    /// Whether every stored value is a whole number (raw counts rather than normalised data).
    public var looksLikeCounts: Bool {
        !matrix.values.isEmpty && matrix.values.allSatisfy { $0 == $0.rounded() }
    }

    /// The cells at `rows`, in that order.
    public func selecting(rows: [Int]) -> ExpressionMatrix {
        ExpressionMatrix(path: path, genes: genes, cellNames: rows.map { cellNames[$0] }, obs: obs.subset(rows),
                  matrix: matrix.selecting(rows: rows), warnings: warnings)
    }

    /// The logarithm of ``logNormalized(target:base:)``.
    public enum LogBase: Sendable {
        /// log10(1 + x): what `c2s convert` writes (`log1p(base=10)`).
        case ten
        /// ln(1 + x): scanpy's `log1p` default, which its `highly_variable_genes` assumes.
        case e
    }

    /// Each row scaled to sum to `target`, then log(1 + x) in `base` (base 10 is the
    /// normalisation `c2s convert` applies by default: scanpy's `normalize_total(target_sum=target)`
    /// + `log1p(base=10)`). Rows summing to zero stay zero.
    public func logNormalized(target: Double, base: LogBase = .ten) -> ExpressionMatrix {
        var values = matrix.values
        for r in 0..<matrix.rowCount {
            let range = matrix.indptr[r]..<matrix.indptr[r + 1]
            var total = 0.0
            for e in range { total += values[e] }
            guard total > 0 else { continue }
            switch base {
            case .ten: for e in range { values[e] = Foundation.log10(1 + values[e] / total * target) }
            case .e: for e in range { values[e] = Foundation.log1p(values[e] / total * target) }
            }
        }
        let m = FeatureRows(rowCount: matrix.rowCount, columnCount: matrix.columnCount, indptr: matrix.indptr,
                            indices: matrix.indices, values: values)
        return ExpressionMatrix(path: path, genes: genes, cellNames: cellNames, obs: obs, matrix: m, warnings: warnings)
    }
}
