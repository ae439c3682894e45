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

    public static func build(real: FeatureRows, realLabels: [String], generated: FeatureRows, generatedLabels: [String],
                             threads: Int) throws -> CellMap {
        var r = real, g = generated
        if r.columnCount > PrincipalComponents.maximumFeatures {
            let keep = mostVariable(r, count: PrincipalComponents.maximumFeatures)
            r = r.selecting(columns: keep)
            g = g.selecting(columns: keep)
        }
        let pca = try PrincipalComponents.fit(r, components: 2, threads: threads)
        let pr = pca.transform(r).dense(), pg = pca.transform(g).dense()
        return CellMap(real: (stride(from: 0, to: pr.count, by: 2).map { pr[$0] }, stride(from: 1, to: pr.count, by: 2).map { pr[$0] }, realLabels),
                       generated: (stride(from: 0, to: pg.count, by: 2).map { pg[$0] }, stride(from: 1, to: pg.count, by: 2).map { pg[$0] }, generatedLabels),
                       explainedVarianceRatio: pca.explainedVarianceRatio, genes: r.columnCount)
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
