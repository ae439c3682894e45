import Foundation
import Mechanics
import SingleCell

/// How well an embedding keeps neighbourhoods (Venna & Kaski 2001), as scikit-learn's
/// `sklearn.manifold.trustworthiness` computes it:
/// T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_i(k)} max(0, r(i, j) - k),
/// where U_i(k) are i's k nearest neighbours in the embedding and r(i, j) is j's rank among
/// i's neighbours in the original space (1 for the nearest). 1 when every embedded neighbour
/// is an original neighbour; it penalises points that the embedding brings close but were far.
public enum Trustworthiness {
    /// T(`k`) of `embedded` (same rows as `original`). Original distances are computed in
    /// double precision from differences; ranks count the strictly nearer points (ties are
    /// measure-zero for real data). Needs k < n / 2.
    public static func compute(original: FeatureRows, embedded: FeatureRows, k: Int, threads: Int = Parallel.defaultThreads) -> Double {
        let n = original.rowCount
        precondition(embedded.rowCount == n && k >= 1 && k < n / 2, "trustworthiness needs k < n / 2")
        let near = EuclideanNeighbors.search(queries: embedded, references: embedded, ks: [k], rule: .lowerIndex,
                                             leaveOneOut: true, threads: threads)[0]
        let dense = original.dense(), dim = original.columnCount
        let parts = Parallel.ranges(n, parts: threads)
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: max(1, parts.count))
        sums.initialize(repeating: 0, count: max(1, parts.count))
        defer { sums.deallocate() }
        let out = SendablePointer(sums)
        dense.withUnsafeBufferPointer { xp in
            let x = SendablePointer(UnsafeMutablePointer(mutating: xp.baseAddress!))
            near.indices.withUnsafeBufferPointer { ip in
                let nn = SendablePointer(UnsafeMutablePointer(mutating: ip.baseAddress!))
                Parallel.forEach(parts) { p, range in
                    let row = UnsafeMutablePointer<Double>.allocate(capacity: n)
                    defer { row.deallocate() }
                    var penalty = 0.0
                    for i in range {
                        let xi = x.p + i * dim
                        for j in 0..<n {
                            let xj = x.p + j * dim
                            var s = 0.0
                            for d in 0..<dim {
                                let t = xi[d] - xj[d]
                                s += t * t
                            }
                            row[j] = s
                        }
                        row[i] = .infinity  // not its own neighbour
                        for t in 0..<k {
                            let j = Int(nn.p[i * k + t]), dj = row[j]
                            var rank = 1
                            for l in 0..<n where row[l] < dj { rank += 1 }
                            if rank > k { penalty += Double(rank - k) }
                        }
                    }
                    out.p[p] = penalty
                }
            }
        }
        var total = 0.0
        for p in 0..<parts.count { total += sums[p] }
        let nd = Double(n), kd = Double(k)
        return 1 - total * (2 / (nd * kd * (2 * nd - 3 * kd - 1)))
    }
}
