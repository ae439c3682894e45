import Foundation

/// The per-point scale of UMAP's fuzzy neighbourhoods (umap-learn's `smooth_knn_dist`).
///
/// For point i with neighbour distances d_1 <= ... <= d_k (the first being the point itself
/// in a fit), rho_i is the distance to the nearest neighbour at non-zero distance (interpolated
/// for a fractional local connectivity) and sigma_i solves
/// sum_{j >= 2} exp(-max(0, d_j - rho_i) / sigma_i) = log2(k) * bandwidth
/// by bisection (doubling while no upper bound is known), stopping when the sum is within
/// ``tolerance`` of the target or after ``iterations`` steps. So every point's neighbourhood
/// has the same fuzzy cardinality whatever the local density, and its nearest neighbour is
/// always fully connected (membership 1), which is what keeps UMAP's graph locally connected.
/// A sigma below ``minimumScale`` times the mean neighbour distance is raised to it.
///
/// Distances are taken in single precision and each d_j - rho_i is formed in single
/// precision, as umap-learn does (it casts them to float32); the sums run in double.
enum SmoothKNNDistance {
    static let tolerance = 1e-5
    static let minimumScale = 1e-3
    static let iterations = 64

    /// rho and sigma of each of the `count` rows of `distances` (`count x k`, row-major, each
    /// row ascending).
    static func compute(distances: [Float], count: Int, k: Int, localConnectivity: Double = 1,
                        bandwidth: Double = 1) -> (rhos: [Float], sigmas: [Float]) {
        precondition(distances.count == count * k && k >= 1)
        let target = log2(Double(k)) * bandwidth
        var rhos = [Float](repeating: 0, count: count), sigmas = rhos
        // The mean over every distance, the floor's scale for points without a positive rho.
        var total = 0.0
        for d in distances { total += Double(d) }
        let meanDistance = total / Double(max(1, distances.count))
        distances.withUnsafeBufferPointer { dp in
            for i in 0..<count {
                let row = dp.baseAddress! + i * k
                rhos[i] = rho(row, k: k, localConnectivity: localConnectivity)
                let r = rhos[i]
                var lo = 0.0, hi = Double.infinity, mid = 1.0
                for _ in 0..<iterations {
                    var sum = 0.0
                    // umap-learn starts at the second neighbour: in a fit the first is the point itself.
                    for j in 1..<k {
                        let d = row[j] - r
                        sum += d > 0 ? exp(-(Double(d) / mid)) : 1
                    }
                    if abs(sum - target) < tolerance { break }
                    if sum > target {
                        hi = mid
                        mid = (lo + hi) / 2
                    } else {
                        lo = mid
                        mid = hi == .infinity ? mid * 2 : (lo + hi) / 2
                    }
                }
                var sigma = Float(mid)
                if r > 0 {
                    var s = 0.0
                    for j in 0..<k { s += Double(row[j]) }
                    let floor = Float(minimumScale * s / Double(k))
                    if sigma < floor { sigma = floor }
                } else if Double(sigma) < minimumScale * meanDistance {
                    sigma = Float(minimumScale * meanDistance)
                }
                sigmas[i] = sigma
            }
        }
        return (rhos, sigmas)
    }

    /// The distance to the `localConnectivity`-th nearest neighbour at positive distance,
    /// interpolated between neighbours for a fractional value; the largest such distance when
    /// there are fewer; 0 when there is none.
    static func rho(_ row: UnsafePointer<Float>, k: Int, localConnectivity: Double) -> Float {
        var positive = 0
        for j in 0..<k where row[j] > 0 { positive += 1 }
        // The j-th positive distance (0-based); rows are ascending, so they are the last ones.
        let nth = { (j: Int) -> Float in row[k - positive + j] }
        if Double(positive) >= localConnectivity {
            let index = Int(localConnectivity.rounded(.down))
            let interpolation = Float(localConnectivity - Double(index))
            if index > 0 {
                var r = nth(index - 1)
                if Double(interpolation) > tolerance { r += interpolation * (nth(index) - nth(index - 1)) }
                return r
            }
            return interpolation * (positive > 0 ? nth(0) : 0)
        }
        return positive > 0 ? nth(positive - 1) : 0
    }
}
