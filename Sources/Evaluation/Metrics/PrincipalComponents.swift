import Foundation
import SingleCell

/// Principal component analysis, the same fit as scikit-learn's
/// `PCA(n_components=N, svd_solver="covariance_eigh")` (and, up to rounding, `"full"`).
///
/// Fit: the mean of each feature; the covariance C = (X^T X - n mean mean^T) / (n - 1)
/// computed from the sparse rows in double precision; its N largest eigenvalues and unit
/// eigenvectors (LAPACK `dsyevr`). Sign convention (scikit-learn's `svd_flip` with
/// `u_based_decision=False`): each component is multiplied by the sign of its entry of largest
/// absolute value (the first such entry on a tie), so that entry is positive. The result is
/// deterministic: no random start. Transform: (x - mean) . components^T, no whitening.
///
/// The covariance is features x features, so this is meant for up to a few thousand features
/// (``maximumFeatures``).
public struct PrincipalComponents: Sendable {
    /// Features (genes) the fit saw.
    public let featureCount: Int
    /// Components kept.
    public let componentCount: Int
    /// Per-feature mean of the fitted rows.
    public let mean: [Double]
    /// `componentCount x featureCount`, row-major, unit rows.
    public let components: [Double]
    /// Eigenvalues of the covariance (variance along each component), descending.
    public let explainedVariance: [Double]
    /// `explainedVariance` over the total variance (the covariance's trace).
    public let explainedVarianceRatio: [Double]

    /// The largest covariance matrix fitted (its side): 4,096 features take 128 MiB and a few
    /// seconds.
    public static let maximumFeatures = 4096

    /// Fits `components` components to the rows of `x`.
    public static func fit(_ x: FeatureRows, components n: Int, threads: Int = Parallel.defaultThreads) throws -> PrincipalComponents {
        let g = x.columnCount, rows = x.rowCount
        guard n >= 1, n <= min(rows, g) else {
            throw DataError("PCA with \(n) components needs at least \(n) cells and \(n) genes; there are \(rows) cells and \(g) genes")
        }
        guard rows >= 2 else { throw DataError("PCA needs at least 2 cells") }
        guard g <= maximumFeatures else {
            throw DataError("PCA over \(g) genes would need a \(g) x \(g) covariance matrix; at most \(maximumFeatures) genes are supported (select genes first, or leave PCA off)")
        }
        var mean = [Double](repeating: 0, count: g)
        for e in 0..<x.values.count { mean[Int(x.indices[e])] += x.values[e] }
        let count = Double(rows)
        for i in 0..<g { mean[i] /= count }
        var covariance = GramMatrix.compute(x, threads: threads)
        var trace = 0.0
        for i in 0..<g {
            for j in 0..<g {
                covariance[i * g + j] = (covariance[i * g + j] - count * mean[i] * mean[j]) / (count - 1)
            }
            trace += max(0, covariance[i * g + i])
        }
        var (values, vectors) = try SymmetricEigen.largest(covariance, n: g, count: n)
        for c in 0..<n {
            values[c] = max(0, values[c])  // rounding can leave tiny negatives, as scikit-learn clips
            var best = 0
            for j in 1..<max(1, g) where abs(vectors[c * g + j]) > abs(vectors[c * g + best]) { best = j }
            if vectors[c * g + best] < 0 {
                for j in 0..<g { vectors[c * g + j] = -vectors[c * g + j] }
            }
        }
        return PrincipalComponents(featureCount: g, componentCount: n, mean: mean, components: vectors,
                                   explainedVariance: values, explainedVarianceRatio: values.map { trace > 0 ? $0 / trace : .nan })
    }

    /// Scores of the rows of `x` (same features as the fit): a dense `rowCount x componentCount`
    /// matrix as ``FeatureRows``.
    public func transform(_ x: FeatureRows) -> FeatureRows {
        precondition(x.columnCount == featureCount, "PCA was fitted on \(featureCount) features, not \(x.columnCount)")
        let n = componentCount, g = featureCount
        var transposed = [Double](repeating: 0, count: g * n)  // feature-major components
        for c in 0..<n { for j in 0..<g { transposed[j * n + c] = components[c * g + j] } }
        var offset = [Double](repeating: 0, count: n)
        for c in 0..<n {
            var s = 0.0
            for j in 0..<g { s += mean[j] * components[c * g + j] }
            offset[c] = s
        }
        var scores = [Double](repeating: 0, count: x.rowCount * n)
        for r in 0..<x.rowCount {
            for c in 0..<n { scores[r * n + c] = -offset[c] }
            for e in x.indptr[r]..<x.indptr[r + 1] {
                let v = x.values[e], base = Int(x.indices[e]) * n
                for c in 0..<n { scores[r * n + c] += v * transposed[base + c] }
            }
        }
        let indices = [Int32](unsafeUninitializedCapacity: x.rowCount * n) { b, count in
            for r in 0..<x.rowCount { for c in 0..<n { b[r * n + c] = Int32(c) } }
            count = x.rowCount * n
        }
        return FeatureRows(rowCount: x.rowCount, columnCount: n, indptr: (0...x.rowCount).map { $0 * n },
                           indices: indices, values: scores)
    }
}
