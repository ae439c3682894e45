import Foundation
import Mechanics
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
/// The covariance is features x features, so it is decomposed for up to ``maximumFeatures``
/// features; with more features and few cells the cells x cells Gram matrix gives the same
/// components.
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

    /// The largest eigen-problem solved (its side): 4,096 takes 128 MiB and a few seconds.
    /// More genes than this are fitted through the cells x cells Gram matrix instead, when
    /// there are at most this many cells.
    public static let maximumFeatures = 4096

    /// Fits `components` components to the rows of `x`.
    ///
    /// With at most ``maximumFeatures`` genes the genes x genes covariance is decomposed. With
    /// more genes but at most that many cells, the cells x cells Gram matrix K = Xc Xc^T of the
    /// centred rows is decomposed instead: it has the same non-zero eigenvalues times (n - 1),
    /// and each component is Xc^T u / |Xc^T u| for its eigenvector u (the same vectors, up to
    /// rounding and before the sign convention).
    public static func fit(_ x: FeatureRows, components n: Int, threads: Int = Parallel.defaultThreads) throws -> PrincipalComponents {
        let g = x.columnCount, rows = x.rowCount
        guard n >= 1, n <= min(rows, g) else {
            throw DataError("PCA with \(n) components needs at least \(n) cells and \(n) genes; there are \(rows) cells and \(g) genes")
        }
        guard rows >= 2 else { throw DataError("PCA needs at least 2 cells") }
        if g <= maximumFeatures { return try fitByCovariance(x, components: n, threads: threads) }
        if rows <= maximumFeatures { return try fitByGram(x, components: n, threads: threads) }
        throw DataError("PCA over \(g) genes and \(rows) cells: one of them must be at most \(maximumFeatures) (select genes or subsample the real cells first, or leave PCA off)")
    }

    /// Per-feature means.
    static func means(_ x: FeatureRows) -> [Double] {
        var mean = [Double](repeating: 0, count: x.columnCount)
        for e in 0..<x.values.count { mean[Int(x.indices[e])] += x.values[e] }
        return mean.map { $0 / Double(x.rowCount) }
    }

    /// Eigen-decomposition of the genes x genes covariance.
    static func fitByCovariance(_ x: FeatureRows, components n: Int, threads: Int) throws -> PrincipalComponents {
        let g = x.columnCount
        let mean = means(x)
        let count = Double(x.rowCount)
        var covariance = GramMatrix.compute(x, threads: threads)
        var trace = 0.0
        for i in 0..<g {
            for j in 0..<g {
                covariance[i * g + j] = (covariance[i * g + j] - count * mean[i] * mean[j]) / (count - 1)
            }
            trace += max(0, covariance[i * g + i])
        }
        let (values, vectors) = try SymmetricEigen.largest(covariance, n: g, count: n)
        return finish(mean: mean, values: values, vectors: vectors, trace: trace, components: n)
    }

    /// Eigen-decomposition of the cells x cells Gram matrix of the centred rows.
    static func fitByGram(_ x: FeatureRows, components n: Int, threads: Int) throws -> PrincipalComponents {
        let g = x.columnCount, rows = x.rowCount
        let mean = means(x)
        let count = Double(rows)
        // K = X X^T - a 1^T - 1 a^T + |mean|^2 with a = X mean.
        var gram = GramMatrix.compute(x.transposed(), threads: threads)
        var a = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            for e in x.indptr[r]..<x.indptr[r + 1] { a[r] += x.values[e] * mean[Int(x.indices[e])] }
        }
        let meanSquare = mean.reduce(0) { $0 + $1 * $1 }
        var trace = 0.0
        for i in 0..<rows {
            for j in 0..<rows { gram[i * rows + j] += meanSquare - a[i] - a[j] }
            trace += max(0, gram[i * rows + i])
        }
        let (eigenvalues, cellVectors) = try SymmetricEigen.largest(gram, n: rows, count: n)
        var vectors = [Double](repeating: 0, count: n * g)
        for c in 0..<n {
            guard eigenvalues[c] > 1e-12 * max(trace, 1e-300) else {
                throw DataError("PCA: only \(c) components have non-zero variance among these \(rows) cells; ask for fewer")
            }
            // Xc^T u = X^T u - mean * sum(u).
            var sum = 0.0
            for r in 0..<rows {
                let u = cellVectors[c * rows + r]
                sum += u
                for e in x.indptr[r]..<x.indptr[r + 1] { vectors[c * g + Int(x.indices[e])] += x.values[e] * u }
            }
            var norm = 0.0
            for j in 0..<g { vectors[c * g + j] -= mean[j] * sum; norm += vectors[c * g + j] * vectors[c * g + j] }
            norm = norm.squareRoot()
            for j in 0..<g { vectors[c * g + j] /= norm }
        }
        return finish(mean: mean, values: eigenvalues.map { $0 / (count - 1) }, vectors: vectors, trace: trace / (count - 1), components: n)
    }

    /// Clips, applies the sign convention and computes the ratios.
    static func finish(mean: [Double], values: [Double], vectors: [Double], trace: Double, components n: Int) -> PrincipalComponents {
        let g = mean.count
        var values = values, vectors = vectors
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
