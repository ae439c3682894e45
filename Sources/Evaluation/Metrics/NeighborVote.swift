/// k-nearest-neighbour classification by majority vote, as scikit-learn's
/// `KNeighborsClassifier(weights="uniform")`: each of the k nearest references votes for its
/// class; the class with most votes wins, and a tie goes to the class that comes first in
/// ``ClassLabels`` order (scikit-learn's `argmax` over its sorted `classes_`).
public enum NeighborVote {
    /// Predicted class codes of every query from its first `k` neighbours (k at most
    /// `neighbors.k`); `referenceCodes` are the class codes of the references.
    public static func predict(_ neighbors: NeighborLists, k: Int, referenceCodes: [Int32], classCount: Int) -> [Int32] {
        precondition(k >= 1 && k <= neighbors.k, "k must lie in 1...\(neighbors.k)")
        var counts = [Int](repeating: 0, count: classCount)
        var out = [Int32](repeating: -1, count: neighbors.queryCount)
        for q in 0..<neighbors.queryCount {
            for i in 0..<classCount { counts[i] = 0 }
            let base = q * neighbors.k
            for j in 0..<k { counts[Int(referenceCodes[Int(neighbors.indices[base + j])])] += 1 }
            var best = 0
            for c in 1..<max(1, classCount) where counts[c] > counts[best] { best = c }
            out[q] = Int32(best)
        }
        return out
    }
}
