import Foundation
import SingleCell

/// Highly variable genes by Seurat's dispersion method, the same selection as scanpy 1.11's
/// `sc.pp.highly_variable_genes(adata, flavor="seurat", n_top_genes=n)` on log-normalised data
/// (natural log, scanpy's `log1p` default).
///
/// Per gene, on the de-logged values `expm1(x)`: the mean and the unbiased variance (n - 1);
/// a zero mean becomes 1e-12; the dispersion var / mean, with 0 made NaN, then its log; the
/// mean becomes log1p(mean). Genes are cut into `bins` equal-width bins of that mean
/// (``EqualWidthBins``, pandas' `pd.cut`); within a bin, the normalised dispersion is
/// (dispersion - bin mean) / bin standard deviation (ddof 1), NaN dispersions left out of the
/// bin's statistics. A bin with one usable dispersion has no standard deviation: scanpy then
/// uses mean 0 and deviation = the bin mean, which gives that gene 1. The `n` largest
/// normalised dispersions are selected, NaN never (counted as -inf): every gene at least as
/// large as the n-th largest, so a tie at the cut keeps all tied genes, as scanpy does.
public struct HighlyVariableGenes: Sendable {
    /// log1p of each gene's mean (after the 1e-12 floor).
    public let means: [Double]
    /// log of each gene's dispersion; NaN where the variance is 0.
    public let dispersions: [Double]
    /// Dispersion normalised within its mean bin; NaN where undefined.
    public let normalizedDispersions: [Double]
    /// The selected genes' column indices, ascending.
    public let selected: [Int]

    /// Selects the `top` most variable columns of `x` (cells x genes, log-normalised with the
    /// natural log). Asking for more genes than have a normalised dispersion returns those
    /// that have one, as scanpy does.
    public static func seurat(_ x: FeatureRows, top: Int, bins: Int = 20) throws -> HighlyVariableGenes {
        guard top >= 1 else { throw DataError("the number of highly variable genes must be at least 1, not \(top)") }
        guard x.rowCount >= 2 else { throw DataError("highly variable genes need at least 2 cells, found \(x.rowCount)") }
        let g = x.columnCount, n = Double(x.rowCount)
        // Mean and variance of expm1(x) per gene: two passes over the stored entries (zeros
        // contribute (0 - mean)^2 each), the centred form scanpy's sparse path uses.
        var sum = [Double](repeating: 0, count: g), stored = [Int](repeating: 0, count: g)
        for e in 0..<x.values.count {
            let j = Int(x.indices[e])
            sum[j] += expm1(x.values[e])
            stored[j] += 1
        }
        let mean = sum.map { $0 / n }
        var squares = [Double](repeating: 0, count: g)
        for e in 0..<x.values.count {
            let j = Int(x.indices[e])
            let d = expm1(x.values[e]) - mean[j]
            squares[j] += d * d
        }
        var means = [Double](repeating: 0, count: g), dispersions = [Double](repeating: 0, count: g)
        for j in 0..<g {
            let variance = (squares[j] + Double(x.rowCount - stored[j]) * mean[j] * mean[j]) / (n - 1)
            let m = mean[j] == 0 ? 1e-12 : mean[j]
            let dispersion = variance / m
            dispersions[j] = dispersion == 0 ? .nan : log(dispersion)
            means[j] = log1p(m)
        }
        let normalized = normalize(dispersions, bins: EqualWidthBins.assign(means, bins: bins), binCount: bins)
        let finite = normalized.filter { !$0.isNaN }.sorted(by: >)
        guard !finite.isEmpty else { throw DataError("no gene has a normalised dispersion (every gene is constant over these cells)") }
        let cut = finite[min(top, finite.count) - 1]
        let selected = (0..<g).filter { !normalized[$0].isNaN && normalized[$0] >= cut }
        return HighlyVariableGenes(means: means, dispersions: dispersions, normalizedDispersions: normalized, selected: selected)
    }

    /// (dispersion - bin mean) / bin standard deviation, with scanpy's single-gene-bin rule.
    static func normalize(_ dispersions: [Double], bins: [Int], binCount: Int) -> [Double] {
        var count = [Int](repeating: 0, count: binCount), sum = [Double](repeating: 0, count: binCount)
        for (d, b) in zip(dispersions, bins) where !d.isNaN { count[b] += 1; sum[b] += d }
        let average = (0..<binCount).map { count[$0] > 0 ? sum[$0] / Double(count[$0]) : .nan }
        var squares = [Double](repeating: 0, count: binCount)
        for (d, b) in zip(dispersions, bins) where !d.isNaN { squares[b] += (d - average[b]) * (d - average[b]) }
        var center = average, deviation = [Double](repeating: .nan, count: binCount)
        for b in 0..<binCount {
            if count[b] >= 2 {
                deviation[b] = (squares[b] / Double(count[b] - 1)).squareRoot()
            } else {
                // pandas' std is NaN here; scanpy sets the deviation to the mean and the mean to 0.
                deviation[b] = average[b]
                center[b] = 0
            }
        }
        return zip(dispersions, bins).map { d, b in (d - center[b]) / deviation[b] }
    }
}
