import Dispatch
import Evaluation
import SingleCell

/// What `c2s evaluate umap` maps: a cell matrix, optionally log-normalised and reduced to
/// principal components first.
public struct UMAPWorkflowSettings: Sendable {
    /// The cells (.h5ad, 10x, CSV).
    public var input: String
    /// Principal components computed first (0: the matrix as it is).
    public var pcaComponents = 50
    /// Log-normalise each cell to this total first (log10(1 + x)); nil: as stored.
    public var normalizeTarget: Double?
    public var umap = UMAPSettings()
    /// Whether to compute the map's trustworthiness (k = its neighbours) against its input.
    public var trustworthiness = false

    public init(input: String) { self.input = input }
}

/// `c2s evaluate umap`: the UMAP of `c2s report eval` on its own. Nothing is written: the
/// caller writes the coordinates (``Result/csv``).
public enum UMAPWorkflow {
    /// The map and what was mapped.
    public struct Result {
        public var map: UMAP
        /// Features per cell the map was computed from (genes or principal components).
        public var features: Int
        /// Seconds the UMAP itself took (neighbours to layout).
        public var seconds: Double
        /// `cell,umap1,umap2`, one row per cell.
        public var csv: String
        /// The trustworthiness (k = the map's neighbours), when asked for and defined: it
        /// needs fewer neighbours than half the cells.
        public var trustworthiness: Double?
    }

    /// Errors name the file: unreadable, or fewer than 3 cells.
    public static func run(_ s: UMAPWorkflowSettings) throws -> Result {
        var table = try ExpressionMatrix.read(s.input)
        guard table.matrix.rowCount >= 3 else { throw FileError(s.input, "has \(table.matrix.rowCount) cell(s); a UMAP needs at least 3") }
        if let target = s.normalizeTarget { table = table.logNormalized(target: target) }
        var points = table.matrix
        if s.pcaComponents > 0 {
            let n = min(s.pcaComponents, points.columnCount, points.rowCount - 1)
            points = try PrincipalComponents.fit(points, components: n).transform(points)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let map = try UMAP.fit(points, settings: s.umap)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var csv = "cell,umap1,umap2\n"
        for i in 0..<map.pointCount {
            csv += "\(CSVField.quote(table.cellNames[i])),\(map.embedding[2 * i]),\(map.embedding[2 * i + 1])\n"
        }
        var trust: Double?
        if s.trustworthiness && map.neighbors < map.pointCount / 2 {
            let embedded = FeatureRows(dense: map.embedding.map(Double.init), rows: map.pointCount, columns: 2)
            trust = Trustworthiness.compute(original: points, embedded: embedded, k: map.neighbors)
        }
        return Result(map: map, features: points.columnCount, seconds: seconds, csv: csv, trustworthiness: trust)
    }
}
