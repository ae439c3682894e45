import CellSentences

/// Agreement of two series, with the conventions of scipy and scikit-learn.
public enum Agreement {
    /// Pearson's r as `scipy.stats.pearsonr`: NaN when there are fewer than two values or
    /// either series is constant (scipy warns and returns NaN); clipped to [-1, 1].
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "series differ in length")
        guard a.count >= 2 else { return .nan }
        let n = Double(a.count)
        var ma = 0.0, mb = 0.0
        for i in 0..<a.count { ma += a[i]; mb += b[i] }
        ma /= n; mb /= n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<a.count {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0, a.contains(where: { $0 != a[0] }), b.contains(where: { $0 != b[0] }) else { return .nan }
        return max(-1, min(1, sab / (saa.squareRoot() * sbb.squareRoot())))
    }

    /// Spearman's rho as `scipy.stats.spearmanr`: Pearson's r of the ranks, tied values given
    /// their average rank; NaN when either series is constant.
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "series differ in length")
        guard a.count >= 2 else { return .nan }
        return pearson(Correlation.averageRanks(a), Correlation.averageRanks(b))
    }

    /// The coefficient of determination as scikit-learn's `r2_score(truth, predicted)`:
    /// 1 - sum((truth - predicted)^2) / sum((truth - mean(truth))^2). With a constant `truth`
    /// it follows `force_finite=True` (the default): 1 for a perfect prediction, else 0. NaN
    /// for fewer than two values (scikit-learn warns and returns NaN). Not symmetric, and not
    /// the square of Pearson's r.
    public static func rSquared(truth: [Double], predicted: [Double]) -> Double {
        precondition(truth.count == predicted.count, "series differ in length")
        guard truth.count >= 2 else { return .nan }
        let mean = truth.reduce(0, +) / Double(truth.count)
        var residual = 0.0, total = 0.0
        for i in 0..<truth.count {
            let r = truth[i] - predicted[i], t = truth[i] - mean
            residual += r * r; total += t * t
        }
        if total == 0 { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }
}
