import Foundation
import Mechanics
import SingleCell

/// A 2-D UMAP (Uniform Manifold Approximation and Projection; McInnes, Healy & Melville 2018)
/// of a point cloud, computed as umap-learn 0.5 computes it with Euclidean distances, and the
/// map's `transform` for placing new points into it.
///
/// Fit: exact k nearest neighbours (``UMAPNeighbors``) -> fuzzy simplicial set
/// (``FuzzySimplicialSet``) -> edges lighter than max weight / epochs dropped -> spectral
/// initialisation (``SpectralLayout``) scaled so the largest coordinate is 10, plus normal
/// noise of sd 0.0001, then rescaled to [0, 10] per axis -> stochastic gradient descent
/// (``UMAPLayoutOptimizer``) with the curve fitted from min_dist and spread (``UMAPCurve``).
/// Everything random is drawn from one generator seeded by ``UMAPSettings/seed`` and the
/// layout runs on one thread, so a seed gives the same map every time.
///
/// umap-learn's random streams (numpy and per-vertex Tausworthe generators) are not
/// reproduced, so maps agree with umap-learn's in quality (trustworthiness, cluster
/// separation), not coordinate by coordinate; the graph, rho, sigma, a and b agree to float32
/// rounding.
public struct UMAP: Sendable {
    public let settings: UMAPSettings
    public let curve: UMAPCurve
    /// Neighbours used (``UMAPSettings/neighbors``, or one less than the points when there are
    /// fewer).
    public let neighbors: Int
    /// Epochs of the fit.
    public let epochs: Int
    /// Connected components of the fuzzy graph (after pruning), each laid out on its own.
    public let componentCount: Int
    /// Edges of the graph the layout sampled (each undirected edge counted both ways).
    public let edgeCount: Int
    /// `pointCount x 2` coordinates, row-major, float32 as optimised.
    public let embedding: [Float]
    /// The fitted points, kept for ``transform(_:threads:)``.
    let points: FeatureRows

    public var pointCount: Int { points.rowCount }
    /// First and second coordinates of every fitted point.
    public var x: [Double] { stride(from: 0, to: embedding.count, by: 2).map { Double(embedding[$0]) } }
    public var y: [Double] { stride(from: 1, to: embedding.count, by: 2).map { Double(embedding[$0]) } }

    static let dimensions = 2

    /// Fits a 2-D UMAP to the rows of `points` (e.g. principal-component scores). Needs at
    /// least 3 points.
    public static func fit(_ points: FeatureRows, settings: UMAPSettings = UMAPSettings(), threads: Int = Parallel.defaultThreads) throws -> UMAP {
        let n = points.rowCount, dim = dimensions
        guard n >= 3 else { throw DataError("UMAP needs at least 3 points, not \(n)") }
        guard settings.neighbors >= 2 else { throw DataError("UMAP needs at least 2 neighbours (the point itself and one more)") }
        guard settings.negativeSampleRate >= 0, settings.minDist >= 0, settings.spread > 0 else {
            throw DataError("UMAP: negative sample rate and min_dist must be at least 0 and spread positive")
        }
        // umap-learn truncates n_neighbors to the points less one.
        let k = min(settings.neighbors, n - 1)
        let knn = UMAPNeighbors.ofPoints(points, k: k, threads: threads)
        let fuzzy = FuzzySimplicialSet.build(knn)
        let epochs = settings.epochCount(points: n)
        guard epochs >= 1 else { throw DataError("UMAP needs at least 1 epoch") }
        // Edges that would be sampled less than once in the whole run are dropped (umap-learn
        // uses the default epoch count for this when asked for 10 or fewer).
        let pruneEpochs = epochs > 10 ? epochs : (n <= 10_000 ? 500 : 200)
        let graph = fuzzy.graph.pruned(below: fuzzy.graph.maximumWeight / Float(pruneEpochs))
        var rng = UMAPRandom(seed: settings.seed)

        var initial: [Float]
        let components = SpectralLayout.components(graph).count
        switch settings.initialization {
        case .spectral:
            let coordinates = try SpectralLayout.layout(graph, points: points, dimensions: dim, rng: &rng)
            // umap-learn's noisy_scale_coords: largest coordinate 10, then noise of sd 0.0001
            // against points that coincide.
            let largest = coordinates.reduce(0) { max($0, abs($1)) }
            let expansion = largest > 0 ? 10 / largest : 1
            initial = coordinates.map { Float($0 * expansion) + Float(0.0001 * rng.normal()) }
        case .random:
            initial = (0..<(n * dim)).map { _ in Float(rng.uniform(-10, 10)) }
        }
        // Each axis rescaled to [0, 10] before the descent.
        for d in 0..<dim {
            var lo = Float.infinity, hi = -Float.infinity
            for i in 0..<n { lo = min(lo, initial[i * dim + d]); hi = max(hi, initial[i * dim + d]) }
            let width = hi - lo
            for i in 0..<n { initial[i * dim + d] = width > 0 ? 10 * (initial[i * dim + d] - lo) / width : 5 }
        }

        let curve = UMAPCurve.fit(minDist: settings.minDist, spread: settings.spread)
        let optimizer = UMAPLayoutOptimizer(curve: curve, negativeSampleRate: settings.negativeSampleRate,
                                            repulsionStrength: settings.repulsionStrength)
        let perSample = UMAPLayoutOptimizer.epochsPerSample(graph.weights, epochs: epochs)
        let heads = graph.rows
        initial.withUnsafeMutableBufferPointer { e in
            optimizer.optimize(head: e.baseAddress!, tail: e.baseAddress!, tailCount: n, dimensions: dim, heads: heads, tails: graph.columns,
                               epochsPerSample: perSample, epochs: epochs, initialAlpha: settings.learningRate, moveOther: true, rng: &rng)
        }
        return UMAP(settings: settings, curve: curve, neighbors: k, epochs: epochs, componentCount: components,
                    edgeCount: graph.edgeCount, embedding: initial, points: points)
    }

    /// Places new points (same features as the fitted ones) into the map without moving it, as
    /// umap-learn's `transform` does: each new point's k nearest fitted points, their
    /// memberships with rho = 0 (local connectivity 1 - 1), a start at the membership-weighted
    /// mean of their positions, then ``UMAPSettings/transformEpochCount(points:)`` epochs of the
    /// same descent at a quarter of the learning rate, pulling only the new points, with
    /// negative samples from the fitted points. `n x 2` row-major, float32.
    public func transform(_ queries: FeatureRows, threads: Int = Parallel.defaultThreads) -> [Float] {
        let m = queries.rowCount, dim = Self.dimensions
        precondition(queries.columnCount == points.columnCount, "UMAP was fitted on \(points.columnCount) features, not \(queries.columnCount)")
        guard m > 0 else { return [] }
        let knn = UMAPNeighbors.ofQueries(queries, references: points, k: neighbors, threads: threads)
        let distances = knn.distances.map { Float($0) }
        let (rhos, sigmas) = SmoothKNNDistance.compute(distances: distances, count: m, k: neighbors, localConnectivity: 0)
        let graph = FuzzySimplicialSet.memberships(knn, distances: distances, rhos: rhos, sigmas: sigmas, bipartite: true,
                                                   columnCount: pointCount)
        // Start: the membership-weighted mean of the neighbours' positions; a neighbour of
        // membership exactly 1 (at distance 0) is taken as the position itself.
        var placed = [Float](repeating: .nan, count: m * dim)
        for i in 0..<m {
            let range = graph.rowStart[i]..<graph.rowStart[i + 1]
            guard !range.isEmpty else { continue }
            var total: Float = 0
            for e in range { total += graph.weights[e] }
            for d in 0..<dim { placed[i * dim + d] = 0 }
            for e in range {
                let j = Int(graph.columns[e]), w = graph.weights[e]
                if w == 1 {
                    for d in 0..<dim { placed[i * dim + d] = embedding[j * dim + d] }
                    break
                }
                for d in 0..<dim { placed[i * dim + d] += w / total * embedding[j * dim + d] }
            }
        }
        let epochs = settings.transformEpochCount(points: m)
        let kept = graph.pruned(below: graph.maximumWeight / Float(epochs))
        let optimizer = UMAPLayoutOptimizer(curve: curve, negativeSampleRate: settings.negativeSampleRate,
                                            repulsionStrength: settings.repulsionStrength)
        var fixed = embedding
        var rng = UMAPRandom(seed: settings.seed &+ 0x9E37_79B9_7F4A_7C15)
        let heads = kept.rows, perSample = UMAPLayoutOptimizer.epochsPerSample(kept.weights, epochs: epochs)
        placed.withUnsafeMutableBufferPointer { h in
            fixed.withUnsafeMutableBufferPointer { t in
                optimizer.optimize(head: h.baseAddress!, tail: t.baseAddress!, tailCount: pointCount, dimensions: dim, heads: heads,
                                   tails: kept.columns, epochsPerSample: perSample, epochs: epochs,
                                   initialAlpha: settings.learningRate / 4, moveOther: false, rng: &rng)
            }
        }
        return placed
    }
}
