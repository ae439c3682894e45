import Evaluation
import Foundation
import SingleCell

/// Real and generated cells on a 2-D UMAP of the real cells' principal components: the map is
/// fitted on the real cells alone and the generated cells are placed into it with
/// ``UMAP/transform(_:threads:)``, so the real panel does not depend on what was generated and
/// a generated cell lands beside the real cells it resembles.
public struct CellUMAP: Sendable {
    public var real: (x: [Double], y: [Double], labels: [String])
    public var generated: (x: [Double], y: [Double], labels: [String])
    public var settings: UMAPSettings
    /// Neighbours, epochs of the fit and of the transform, and connected components, as used.
    public var neighbors: Int
    public var epochs: Int
    public var transformEpochs: Int
    public var graphComponents: Int
    /// Principal components the map was computed from.
    public var principalComponents: Int

    /// Real cells above this are not mapped (exact neighbours and the layout grow with the
    /// square and the number of cells).
    public static let maximumRealCells = 20_000
    /// Principal components the map is computed from (fewer when there are fewer genes or cells).
    public static let defaultComponents = 50

    /// The map from principal-component scores of the real and the generated cells.
    public static func build(realScores: FeatureRows, realLabels: [String], generatedScores: FeatureRows, generatedLabels: [String],
                             settings: UMAPSettings, threads: Int) throws -> CellUMAP {
        let map = try UMAP.fit(realScores, settings: settings, threads: threads)
        let placed = map.transform(generatedScores, threads: threads)
        return CellUMAP(real: (map.x, map.y, realLabels),
                        generated: (stride(from: 0, to: placed.count, by: 2).map { Double(placed[$0]) },
                                    stride(from: 1, to: placed.count, by: 2).map { Double(placed[$0]) }, generatedLabels),
                        settings: settings, neighbors: map.neighbors, epochs: map.epochs,
                        transformEpochs: settings.transformEpochCount(points: generatedScores.rowCount),
                        graphComponents: map.componentCount, principalComponents: realScores.columnCount)
    }
}
