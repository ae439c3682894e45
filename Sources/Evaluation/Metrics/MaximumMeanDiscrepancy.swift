import Foundation
import Mechanics
import SingleCell

/// Squared maximum mean discrepancy between two samples with a Gaussian (RBF) kernel.
public struct MMDResult: Codable, Sendable, Equatable {
    /// Rows in each sample.
    public var firstCount: Int
    public var secondCount: Int
    /// Median of the Euclidean distances between all pairs of distinct rows of the pooled
    /// sample (both samples together; n(n-1)/2 pairs, self-pairs excluded; an even count takes
    /// the mean of the two middle values, as `numpy.median`).
    public var medianDistance: Double
    /// The kernel's gamma: 1 / (2 median^2). k(x, y) = exp(-gamma |x - y|^2).
    @NullableMetric public var gamma: Double
    /// The biased (V-statistic) estimate: mean K(X, X) + mean K(Y, Y) - 2 mean K(X, Y), the
    /// means over all pairs including each row with itself. Never negative.
    @NullableMetric public var mmd2Biased: Double
    /// The unbiased (U-statistic) estimate: as the biased one but the within-sample means
    /// leave out the diagonal (each row with itself). Can be slightly negative.
    @NullableMetric public var mmd2Unbiased: Double

    enum CodingKeys: String, CodingKey {
        case firstCount = "first_count", secondCount = "second_count", medianDistance = "median_distance"
        case gamma, mmd2Biased = "mmd2_biased", mmd2Unbiased = "mmd2_unbiased"
    }
}

/// MMD^2 with the median-distance bandwidth heuristic.
public enum MaximumMeanDiscrepancy {
    /// MMD^2 between the rows of `x` (`m x d`) and `y` (`n x d`), both dense row-major.
    /// With a median distance of 0 (most rows identical) gamma is undefined and so is MMD (NaN).
    public static func compute(_ x: [Double], rows m: Int, _ y: [Double], rows n: Int, dimensions d: Int,
                               threads: Int = Parallel.defaultThreads) -> MMDResult {
        precondition(x.count == m * d && y.count == n * d && m >= 1 && n >= 1)
        let total = m + n
        let distances = PairwiseDistances.within(x + y, rows: total, dimensions: d, threads: threads)
        var upper: [Double] = []
        upper.reserveCapacity(total * (total - 1) / 2)
        for i in 0..<total { for j in (i + 1)..<max(i + 1, total) { upper.append(distances[i * total + j]) } }
        let median = Self.median(&upper)
        let gamma = median > 0 ? 1 / (2 * median * median) : .nan
        guard gamma.isFinite else {
            return MMDResult(firstCount: m, secondCount: n, medianDistance: median, gamma: .nan, mmd2Biased: .nan, mmd2Unbiased: .nan)
        }
        // Kernel sums: within x, within y (off-diagonal), and across.
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for i in 0..<total {
            for j in (i + 1)..<max(i + 1, total) {
                let dist = distances[i * total + j]
                let k = Foundation.exp(-gamma * dist * dist)
                if i < m && j < m { sxx += k } else if i >= m && j >= m { syy += k } else { sxy += k }
            }
        }
        let dm = Double(m), dn = Double(n)
        // Off-diagonal pairs were visited once each; the diagonal contributes k(x, x) = 1.
        let biased = (2 * sxx + dm) / (dm * dm) + (2 * syy + dn) / (dn * dn) - 2 * sxy / (dm * dn)
        let unbiased = (m > 1 ? 2 * sxx / (dm * (dm - 1)) : .nan) + (n > 1 ? 2 * syy / (dn * (dn - 1)) : .nan) - 2 * sxy / (dm * dn)
        return MMDResult(firstCount: m, secondCount: n, medianDistance: median, gamma: gamma,
                         mmd2Biased: biased, mmd2Unbiased: unbiased)
    }

    /// The median of `values` (sorted in place); NaN when empty.
    static func median(_ values: inout [Double]) -> Double {
        values.sort()
        return Quantile.median(sorted: values)
    }
}
