import SingleCell

/// The exact k-nearest-neighbour lists UMAP starts from, found by brute force
/// (``EuclideanNeighbors``).
///
/// umap-learn searches exactly for data this small (fewer than 4,096 points it computes every
/// pairwise distance) and approximately (NN-descent) beyond; c2s always searches exactly, which
/// on a few tens of principal components takes well under a second for thousands of cells.
enum UMAPNeighbors {
    /// Each point's `k` nearest points among `points`, the point itself first at distance
    /// exactly 0 (as scikit-learn's `pairwise_distances` gives it, so that rho, the distance to
    /// the nearest other point, is never a rounding residue of |x|^2 + |x|^2 - 2 x.x).
    static func ofPoints(_ points: FeatureRows, k: Int, threads: Int) -> NeighborLists {
        let n = points.rowCount
        precondition(k >= 2 && k <= n, "UMAP needs 2...\(n) neighbours, not \(k)")
        let others = EuclideanNeighbors.search(queries: points, references: points, ks: [k - 1], rule: .lowerIndex,
                                               leaveOneOut: true, threads: threads)[0]
        var indices = [Int32](repeating: 0, count: n * k), distances = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            indices[i * k] = Int32(i)
            for j in 1..<k {
                indices[i * k + j] = others.indices[i * (k - 1) + j - 1]
                distances[i * k + j] = others.distances[i * (k - 1) + j - 1]
            }
        }
        return NeighborLists(k: k, queryCount: n, indices: indices, distances: distances)
    }

    /// Each query's `k` nearest `references` (for placing new points into a fitted map).
    static func ofQueries(_ queries: FeatureRows, references: FeatureRows, k: Int, threads: Int) -> NeighborLists {
        EuclideanNeighbors.search(queries: queries, references: references, ks: [k], rule: .lowerIndex, threads: threads)[0]
    }
}
