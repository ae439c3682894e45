import Foundation

/// UMAP's objective: the fuzzy-set cross-entropy between the graph's memberships v and the
/// embedding's w = 1 / (1 + a·d^2b), summed over every pair of points,
///
///     CE = Σ_{i<j} v log(v / w) + (1 − v) log((1 − v) / (1 − w)).
///
/// UMAP's stated objective. Its SGD with negative sampling minimises it only approximately
/// (the effective loss weights repulsion differently; Damrich & Hamprecht, NeurIPS 2021), so
/// the figure is for comparing maps made the same way on the same graph, e.g. ours against
/// umap-learn's: the attractive term catches neighbours pulled apart, the repulsive one
/// non-neighbours left too close (which trustworthiness barely sees). Not an absolute score:
/// a PCA map can come out lower. O(n²): for checking layouts of a few thousand points.
enum UMAPObjective {
    /// w is clamped to [1e-6, 1 − 1e-6] so that a pair at distance zero, or far apart, costs a
    /// large but finite amount.
    static func crossEntropy(graph: FuzzyGraph, embedding: [Float], curve: UMAPCurve) -> Double {
        let n = graph.rowCount
        precondition(graph.columnCount == n && embedding.count == 2 * n)
        let a = curve.a, b = curve.b, eps = 1e-6
        var total = 0.0
        var membership = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // Row i's memberships spread out, so the inner loop over j > i reads them directly.
            for e in graph.rowStart[i]..<graph.rowStart[i + 1] { membership[Int(graph.columns[e])] = Double(graph.weights[e]) }
            let xi = Double(embedding[2 * i]), yi = Double(embedding[2 * i + 1])
            for j in (i + 1)..<max(i + 1, n) {
                let dx = xi - Double(embedding[2 * j]), dy = yi - Double(embedding[2 * j + 1])
                let d2 = dx * dx + dy * dy
                let w = min(max(1 / (1 + a * pow(d2, b)), eps), 1 - eps)
                let v = membership[j]
                if v > 0 { total += v * log(v / w) }
                if v < 1 { total += (1 - v) * log((1 - v) / (1 - w)) }
            }
            for e in graph.rowStart[i]..<graph.rowStart[i + 1] { membership[Int(graph.columns[e])] = 0 }
        }
        return total
    }
}
