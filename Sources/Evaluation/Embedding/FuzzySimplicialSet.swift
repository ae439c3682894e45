import Foundation

/// UMAP's fuzzy simplicial set of a point cloud (umap-learn's `fuzzy_simplicial_set` with
/// `set_op_mix_ratio=1`): the graph whose weight on edge {i, j} is the probability that i and
/// j are neighbours under either one's local metric.
///
/// Each point i sees its k neighbours through its own scale: membership
/// w(i -> j) = exp(-max(0, d_ij - rho_i) / sigma_i) (1 for the nearest, 0 for itself), with
/// rho and sigma from ``SmoothKNNDistance``. The two directed views disagree, and the fuzzy
/// union w_ij + w_ji - w_ij w_ji makes the graph symmetric, as umap-learn does with its
/// default mix ratio. Weights are float32 and combined in float32 in that order, as scipy does
/// on umap-learn's float32 matrices.
enum FuzzySimplicialSet {
    struct Result {
        /// Symmetric n x n graph.
        let graph: FuzzyGraph
        let rhos: [Float]
        let sigmas: [Float]
    }

    /// The fuzzy simplicial set of the points whose neighbour lists (each point itself first)
    /// are `neighbors`.
    static func build(_ neighbors: NeighborLists, localConnectivity: Double = 1) -> Result {
        let n = neighbors.queryCount, k = neighbors.k
        let distances = neighbors.distances.map { Float($0) }
        let (rhos, sigmas) = SmoothKNNDistance.compute(distances: distances, count: n, k: k, localConnectivity: localConnectivity)
        let directed = memberships(neighbors, distances: distances, rhos: rhos, sigmas: sigmas, bipartite: false)
        return Result(graph: union(directed), rhos: rhos, sigmas: sigmas)
    }

    /// The directed membership graph: row i holds w(i -> j) for i's neighbours j (umap-learn's
    /// `compute_membership_strengths`). With `bipartite`, rows and columns are different sets
    /// (new points and fitted ones), so no neighbour is the row itself.
    static func memberships(_ neighbors: NeighborLists, distances: [Float], rhos: [Float], sigmas: [Float],
                            bipartite: Bool, columnCount: Int? = nil) -> FuzzyGraph {
        let n = neighbors.queryCount, k = neighbors.k
        var rows = [Int32](repeating: 0, count: n * k), weights = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            for j in 0..<k {
                let e = i * k + j
                rows[e] = Int32(i)
                let d = distances[e] - rhos[i]
                if !bipartite && Int(neighbors.indices[e]) == i {
                    weights[e] = 0
                } else if d <= 0 || sigmas[i] == 0 {
                    weights[e] = 1
                } else {
                    weights[e] = exp(-(d / sigmas[i]))
                }
            }
        }
        return FuzzyGraph(rowCount: n, columnCount: columnCount ?? n, rows: rows, columns: neighbors.indices, weights: weights)
    }

    /// P + P^T - P .* P^T of a square directed graph P, in float32.
    static func union(_ p: FuzzyGraph) -> FuzzyGraph {
        let edges = p.edgeCount
        let pRows = p.rows
        // Every directed edge once as itself and once transposed, sorted by (row, column):
        // an edge present both ways then appears as two adjacent entries.
        var keys = [UInt64](repeating: 0, count: 2 * edges)
        for e in 0..<edges {
            let i = UInt64(UInt32(pRows[e])), j = UInt64(UInt32(p.columns[e]))
            keys[2 * e] = (i << 32 | j) << 1        // low bit 0: from P
            keys[2 * e + 1] = (j << 32 | i) << 1 | 1  // low bit 1: from P^T
        }
        // Sort keys with the edge index packed alongside so the weight can be looked up.
        var order = Array(0..<(2 * edges))
        order.sort { keys[$0] < keys[$1] }
        var rows: [Int32] = [], cols: [Int32] = [], weights: [Float] = []
        rows.reserveCapacity(2 * edges); cols.reserveCapacity(2 * edges); weights.reserveCapacity(2 * edges)
        var t = 0
        while t < order.count {
            let key = keys[order[t]] >> 1
            let w = p.weights[order[t] / 2]
            if t + 1 < order.count && keys[order[t + 1]] >> 1 == key {
                // Present in P (first, low bit 0) and in P^T: a + b - a b, rounded as scipy does.
                let b = p.weights[order[t + 1] / 2]
                weights.append((w + b) - w * b)
                t += 2
            } else {
                weights.append(w)
                t += 1
            }
            rows.append(Int32(key >> 32))
            cols.append(Int32(truncatingIfNeeded: key & 0xFFFF_FFFF))
        }
        return FuzzyGraph(rowCount: p.rowCount, columnCount: p.columnCount, rows: rows, columns: cols, weights: weights)
    }
}
