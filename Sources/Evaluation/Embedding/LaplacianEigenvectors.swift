import Foundation
import Mechanics
import SingleCell

/// The eigenvectors of a connected graph's normalised Laplacian L = I - D^-1/2 W D^-1/2 for its
/// smallest eigenvalues after the trivial one (a Laplacian eigenmap), what umap-learn's
/// spectral initialisation asks scipy's `eigsh` (ARPACK Lanczos) for.
///
/// The smallest eigenvalues of L are the largest of N = D^-1/2 W D^-1/2, and N's top
/// eigenvector is known exactly (D^1/2 1, eigenvalue 1), so it is projected out and the
/// next `count` are found by Lanczos iteration on N with full reorthogonalisation: the
/// Krylov space grows until every wanted Ritz pair's residual |N x - theta x| is below
/// ``tolerance`` (or ``maximumSteps`` is reached, when the Ritz vectors found so far are used:
/// they only start the layout). Graphs of at most ``denseLimit`` vertices are decomposed
/// densely (LAPACK). Memory: (steps + 1) x n doubles.
enum LaplacianEigenvectors {
    static let tolerance = 1e-6
    static let maximumSteps = 400
    static let denseLimit = 200

    /// `n x count` row-major: column c is the eigenvector of the (c + 2)-th smallest eigenvalue
    /// of L (unit length, arbitrary sign). `graph` must be symmetric, connected, with
    /// n > count + 1 vertices.
    static func smallest(_ graph: FuzzyGraph, count: Int, seed: UInt64) throws -> [Double] {
        let n = graph.rowCount
        precondition(n > count + 1)
        var degree = [Double](repeating: 0, count: n)
        for i in 0..<n { for e in graph.rowStart[i]..<graph.rowStart[i + 1] { degree[Int(graph.columns[e])] += Double(graph.weights[e]) } }
        let scale = degree.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        // N's entries, edge by edge.
        var normalized = [Double](repeating: 0, count: graph.edgeCount)
        for i in 0..<n {
            for e in graph.rowStart[i]..<graph.rowStart[i + 1] { normalized[e] = Double(graph.weights[e]) * scale[i] * scale[Int(graph.columns[e])] }
        }
        if n <= denseLimit {
            var dense = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for e in graph.rowStart[i]..<graph.rowStart[i + 1] { dense[i * n + Int(graph.columns[e])] = normalized[e] } }
            let (_, vectors) = try SymmetricEigen.largest(dense, n: n, count: count + 1)
            var out = [Double](repeating: 0, count: n * count)
            for c in 0..<count { for i in 0..<n { out[i * count + c] = vectors[(c + 1) * n + i] } }
            return out
        }
        var trivial = degree.map { $0.squareRoot() }
        let norm = trivial.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in 0..<n { trivial[i] /= norm }
        return try lanczos(graph, normalized: normalized, trivial: trivial, count: count, seed: seed)
    }

    static func lanczos(_ graph: FuzzyGraph, normalized: [Double], trivial: [Double], count: Int, seed: UInt64) throws -> [Double] {
        let n = graph.rowCount
        let steps = min(n - 1, maximumSteps)
        let basis = UnsafeMutablePointer<Double>.allocate(capacity: (steps + 1) * n)
        let w = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { basis.deallocate(); w.deallocate() }
        var alphas: [Double] = [], betas: [Double] = []
        // A seeded random start (ARPACK's v0 of ones would be the trivial vector itself on a
        // graph of equal degrees).
        var rng = Xoshiro256StarStar(seed: seed)
        for i in 0..<n { basis[i] = Double(rng.next() >> 11) * 0x1p-53 - 0.5 }
        orthogonalize(basis, against: trivial, n: n)
        normalize(basis, n: n)
        var ritz: (values: [Double], vectors: [Double], size: Int)?
        graph.rowStart.withUnsafeBufferPointer { rs in
        graph.columns.withUnsafeBufferPointer { cols in
        normalized.withUnsafeBufferPointer { weights in
        trivial.withUnsafeBufferPointer { t in
            for j in 0..<steps {
                let q = basis + j * n
                // w = N q
                for i in 0..<n {
                    var s = 0.0
                    for e in rs[i]..<rs[i + 1] { s += weights[e] * q[Int(cols[e])] }
                    w[i] = s
                }
                var alpha = 0.0
                for i in 0..<n { alpha += w[i] * q[i] }
                alphas.append(alpha)
                // Full reorthogonalisation, twice ("twice is enough"), against the trivial
                // vector and every basis vector: Lanczos vectors lose orthogonality in floating
                // point as soon as a Ritz pair converges.
                for _ in 0..<2 {
                    orthogonalize(w, against: t.baseAddress!, n: n)
                    for v in 0...j { orthogonalize(w, against: basis + v * n, n: n) }
                }
                var beta = 0.0
                for i in 0..<n { beta += w[i] * w[i] }
                beta = beta.squareRoot()
                let size = j + 1
                let last = size == steps || beta < 1e-10
                if last || (size >= 2 * count + 2 && size % 10 == 0) {
                    guard let pairs = try? ritzPairs(alphas, betas, count: min(count, size)) else { break }
                    ritz = (pairs.values, pairs.vectors, size)
                    var converged = pairs.values.count == count
                    for c in 0..<pairs.values.count where beta * abs(pairs.vectors[c * size + size - 1]) > tolerance { converged = false }
                    if converged || last { break }
                }
                betas.append(beta)
                let next = basis + (j + 1) * n
                for i in 0..<n { next[i] = w[i] / beta }
            }
        }}}}
        guard let ritz, ritz.values.count == count else { throw DataError("spectral initialisation: the Lanczos iteration found too few eigenvectors") }
        var out = [Double](repeating: 0, count: n * count)
        for c in 0..<count {
            for t in 0..<ritz.size {
                let y = ritz.vectors[c * ritz.size + t], v = basis + t * n
                for i in 0..<n { out[i * count + c] += y * v[i] }
            }
        }
        return out
    }

    /// The `count` largest eigenpairs of the tridiagonal matrix with diagonal `alphas` and
    /// off-diagonal `betas` (eigenvectors as rows).
    static func ritzPairs(_ alphas: [Double], _ betas: [Double], count: Int) throws -> (values: [Double], vectors: [Double]) {
        let m = alphas.count
        var t = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            t[i * m + i] = alphas[i]
            if i + 1 < m { t[i * m + i + 1] = betas[i]; t[(i + 1) * m + i] = betas[i] }
        }
        return try SymmetricEigen.largest(t, n: m, count: count)
    }

    @inline(__always)
    static func orthogonalize(_ x: UnsafeMutablePointer<Double>, against v: UnsafePointer<Double>, n: Int) {
        var dot = 0.0
        for i in 0..<n { dot += x[i] * v[i] }
        for i in 0..<n { x[i] -= dot * v[i] }
    }

    static func orthogonalize(_ x: UnsafeMutablePointer<Double>, against v: [Double], n: Int) {
        v.withUnsafeBufferPointer { orthogonalize(x, against: $0.baseAddress!, n: n) }
    }

    static func normalize(_ x: UnsafeMutablePointer<Double>, n: Int) {
        var s = 0.0
        for i in 0..<n { s += x[i] * x[i] }
        s = s.squareRoot()
        for i in 0..<n { x[i] /= s }
    }
}
