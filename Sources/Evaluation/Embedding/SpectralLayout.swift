import Foundation
import SingleCell

/// UMAP's spectral initialisation (umap-learn's `spectral_layout`), before scaling.
///
/// A connected graph is laid out by its Laplacian eigenmap (``LaplacianEigenvectors``). A
/// graph of several connected components (well separated cell types often are) is laid out
/// as umap-learn's `multi_component_layout` does: each component gets an anchor (with at most
/// 2 x dim components, the points +-e_1, +-e_2, ...; with more, a spectral embedding of the
/// components' centroids), and its own eigenmap, scaled to half the distance from its anchor
/// to the nearest other anchor, is placed around its anchor. Components too small for an
/// eigenmap (fewer than 2 x dim vertices, or at most dim + 1) are scattered uniformly in that
/// radius.
enum SpectralLayout {
    /// `n x dimensions` row-major coordinates of the graph's vertices. `points` are the data
    /// (for centroids when there are many components).
    static func layout(_ graph: FuzzyGraph, points: FeatureRows, dimensions dim: Int, rng: inout UMAPRandom) throws -> [Double] {
        let n = graph.rowCount
        let (componentCount, labels) = components(graph)
        if componentCount == 1 {
            return try LaplacianEigenvectors.smallest(graph, count: dim, seed: rng.nextSeed())
        }
        let anchors = try componentCount > 2 * dim
            ? centroidLayout(points: points, labels: labels, components: componentCount, dimensions: dim)
            : axisAnchors(componentCount, dimensions: dim)
        var members = [[Int]](repeating: [], count: componentCount)
        for i in 0..<n { members[labels[i]].append(i) }
        var out = [Double](repeating: 0, count: n * dim)
        for c in 0..<componentCount {
            var nearest = Double.infinity
            for o in 0..<componentCount {
                var s = 0.0
                for d in 0..<dim { s += (anchors[c * dim + d] - anchors[o * dim + d]) * (anchors[c * dim + d] - anchors[o * dim + d]) }
                if s > 0 { nearest = min(nearest, s.squareRoot()) }
            }
            let range = nearest.isFinite ? nearest / 2 : 1
            let size = members[c].count
            if size < 2 * dim || size <= dim + 1 {
                for i in members[c] {
                    for d in 0..<dim { out[i * dim + d] = rng.uniform(-range, range) + anchors[c * dim + d] }
                }
                continue
            }
            let local = try LaplacianEigenvectors.smallest(graph.subgraph(members[c]), count: dim, seed: rng.nextSeed())
            let largest = local.reduce(0) { max($0, abs($1)) }
            let expansion = largest > 0 ? range / largest : 0
            for (k, i) in members[c].enumerated() {
                for d in 0..<dim { out[i * dim + d] = local[k * dim + d] * expansion + anchors[c * dim + d] }
            }
        }
        return out
    }

    /// Connected components (the graph is symmetric): a label per vertex, numbered in order of
    /// each component's lowest vertex, as scipy's `connected_components` numbers them.
    static func components(_ graph: FuzzyGraph) -> (count: Int, labels: [Int]) {
        let n = graph.rowCount
        var labels = [Int](repeating: -1, count: n), stack: [Int] = [], count = 0
        for start in 0..<n where labels[start] < 0 {
            labels[start] = count
            stack.append(start)
            while let v = stack.popLast() {
                for e in graph.rowStart[v]..<graph.rowStart[v + 1] where labels[Int(graph.columns[e])] < 0 {
                    labels[Int(graph.columns[e])] = count
                    stack.append(Int(graph.columns[e]))
                }
            }
            count += 1
        }
        return (count, labels)
    }

    /// +-e_1, +-e_2, ...: the first `count` of e_1 ... e_k, -e_1 ... -e_k with k = ceil(count / 2).
    static func axisAnchors(_ count: Int, dimensions dim: Int) -> [Double] {
        let k = (count + 1) / 2
        var out = [Double](repeating: 0, count: count * dim)
        for c in 0..<count {
            let axis = c % k, sign = c < k ? 1.0 : -1.0
            if axis < dim { out[c * dim + axis] = sign }
        }
        return out
    }

    /// Anchors for many components (umap-learn's `component_layout`): the spectral embedding
    /// of the components' centroids with affinity exp(-|c_i - c_j|^2), as scikit-learn's
    /// `SpectralEmbedding(affinity="precomputed")` computes it (normalised Laplacian of the
    /// affinity without its diagonal, eigenvectors divided by the square root of the degree,
    /// each made positive at its largest entry), divided by its largest coordinate.
    ///
    /// Centroids more than ~27 apart have no affinity left in double precision, and then the
    /// affinity graph falls apart and its eigenvectors say nothing (scikit-learn warns and
    /// umap-learn stacks components on top of each other); c2s then places the anchors by
    /// classical multidimensional scaling of the centroids instead (their first two principal
    /// axes), which keeps far components far.
    static func centroidLayout(points: FeatureRows, labels: [Int], components m: Int, dimensions dim: Int) throws -> [Double] {
        var members = [[Int]](repeating: [], count: m)
        for (i, l) in labels.enumerated() { members[l].append(i) }
        let centroids = members.map { points.mean(rows: $0) }
        var squared = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for j in 0..<m where j != i {
                var s = 0.0
                for (a, b) in zip(centroids[i], centroids[j]) { s += (a - b) * (a - b) }
                squared[i * m + j] = s
            }
        }
        var affinity = [Double](repeating: 0, count: m * m), degree = [Double](repeating: 0, count: m)
        for i in 0..<m {
            for j in 0..<m where j != i {
                affinity[i * m + j] = exp(-squared[i * m + j])
                degree[i] += affinity[i * m + j]
            }
        }
        var out = [Double](repeating: 0, count: m * dim)
        if connected(affinity, m) {
            let root = degree.map { $0.squareRoot() }
            var normalized = [Double](repeating: 0, count: m * m)
            for i in 0..<m { for j in 0..<m { normalized[i * m + j] = affinity[i * m + j] / (root[i] * root[j]) } }
            let (_, vectors) = try SymmetricEigen.largest(normalized, n: m, count: min(m, dim + 1))
            for d in 0..<dim where d + 1 < min(m, dim + 1) {
                var v = (0..<m).map { vectors[(d + 1) * m + $0] / root[$0] }
                var best = 0
                for i in 1..<m where abs(v[i]) > abs(v[best]) { best = i }
                if v[best] < 0 { v = v.map { -$0 } }
                for i in 0..<m { out[i * dim + d] = v[i] }
            }
            let largest = out.max() ?? 1
            if largest > 0 { for i in out.indices { out[i] /= largest } }
        } else {
            // Classical MDS: double-centred -1/2 squared distances, top eigenvectors scaled by
            // the square roots of their eigenvalues.
            var gram = [Double](repeating: 0, count: m * m)
            var rowMean = [Double](repeating: 0, count: m), total = 0.0
            for i in 0..<m { for j in 0..<m { rowMean[i] += squared[i * m + j] / Double(m) } ; total += rowMean[i] / Double(m) }
            for i in 0..<m { for j in 0..<m { gram[i * m + j] = -0.5 * (squared[i * m + j] - rowMean[i] - rowMean[j] + total) } }
            let count = min(m, dim)
            let (values, vectors) = try SymmetricEigen.largest(gram, n: m, count: count)
            for d in 0..<count where values[d] > 0 {
                for i in 0..<m { out[i * dim + d] = vectors[d * m + i] * values[d].squareRoot() }
            }
            let largest = out.reduce(0) { max($0, abs($1)) }
            if largest > 0 { for i in out.indices { out[i] /= largest } }
        }
        return out
    }

    /// Whether the graph of positive entries of the dense symmetric `m x m` matrix is connected.
    static func connected(_ matrix: [Double], _ m: Int) -> Bool {
        var seen = [Bool](repeating: false, count: m), stack = [0], count = 1
        seen[0] = true
        while let v = stack.popLast() {
            for j in 0..<m where !seen[j] && matrix[v * m + j] > 0 {
                seen[j] = true
                count += 1
                stack.append(j)
            }
        }
        return count == m
    }
}
