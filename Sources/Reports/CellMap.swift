import Evaluation
import Foundation
import SingleCell

/// Real and generated cells in one 2-D principal-component space: the components are fitted
/// on the real cells and the generated cells are projected onto them, so the two panels share
/// axes and a generated cell lands where a real cell of the same profile would.
public struct CellMap: Sendable {
    public var real: (x: [Double], y: [Double], labels: [String])
    public var generated: (x: [Double], y: [Double], labels: [String])
    public var explainedVarianceRatio: [Double]
    /// Genes the components were fitted on (the most variable shared genes when there are more
    /// than ``PrincipalComponents/maximumFeatures``).
    public var genes: Int
    /// The same cells on a UMAP of the real cells' leading principal components, when asked
    /// for and there are at most ``CellUMAP/maximumRealCells`` real cells.
    public var umap: CellUMAP?
    /// Why there is no UMAP, when it was asked for and could not be drawn.
    public var umapNote: String?

    /// The map; with `umap` settings also the UMAP (from up to ``CellUMAP/defaultComponents``
    /// principal components of the same fit).
    public static func build(real: FeatureRows, realLabels: [String], generated: FeatureRows, generatedLabels: [String],
                             umap: UMAPSettings? = nil, threads: Int) throws -> CellMap {
        var r = real, g = generated
        if r.columnCount > PrincipalComponents.maximumFeatures {
            let keep = mostVariable(r, count: PrincipalComponents.maximumFeatures)
            r = r.selecting(columns: keep)
            g = g.selecting(columns: keep)
        }
        // One fit serves both: its first two components are the PCA map, all of them the UMAP's input.
        var note: String?
        var components = 2
        if umap != nil {
            if r.rowCount > CellUMAP.maximumRealCells {
                note = "\(r.rowCount) real cells are more than the \(CellUMAP.maximumRealCells) c2s maps by UMAP"
            } else if r.rowCount < 4 {
                note = "too few real cells (\(r.rowCount)) for a UMAP"
            } else {
                components = max(2, min(CellUMAP.defaultComponents, r.columnCount, r.rowCount - 1))
            }
        }
        let pca = try PrincipalComponents.fit(r, components: components, threads: threads)
        let sr = pca.transform(r), sg = pca.transform(g)
        let pr = sr.dense(), pg = sg.dense()
        let c = components
        var map = CellMap(real: (stride(from: 0, to: pr.count, by: c).map { pr[$0] }, stride(from: 1, to: pr.count, by: c).map { pr[$0] }, realLabels),
                          generated: (stride(from: 0, to: pg.count, by: c).map { pg[$0] }, stride(from: 1, to: pg.count, by: c).map { pg[$0] }, generatedLabels),
                          explainedVarianceRatio: Array(pca.explainedVarianceRatio.prefix(2)), genes: r.columnCount, umap: nil, umapNote: note)
        if let umap, note == nil {
            map.umap = try CellUMAP.build(realScores: sr, realLabels: realLabels, generatedScores: sg, generatedLabels: generatedLabels,
                                          settings: umap, threads: threads)
        }
        return map
    }

    /// Columns of the `count` largest variances, in column order.
    static func mostVariable(_ x: FeatureRows, count: Int) -> [Int] {
        var sum = [Double](repeating: 0, count: x.columnCount), squares = sum
        for e in 0..<x.values.count {
            let c = Int(x.indices[e]), v = x.values[e]
            sum[c] += v
            squares[c] += v * v
        }
        let n = Double(max(1, x.rowCount))
        let variance = (0..<x.columnCount).map { squares[$0] / n - (sum[$0] / n) * (sum[$0] / n) }
        return Array((0..<x.columnCount).sorted { variance[$0] > variance[$1] }.prefix(count)).sorted()
    }
}
