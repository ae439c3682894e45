/// Medians and percentiles of sorted values, as numpy computes them.
public enum Quantile {
    /// `numpy.median`: the middle value, or the mean of the two middle ones; NaN when empty.
    public static func median(sorted values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let n = values.count
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2
    }

    /// `numpy.percentile(values, 100 q)` with its default linear interpolation between the
    /// closest ranks; NaN when empty.
    public static func percentile(sorted values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let position = q * Double(values.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, values.count - 1)
        return values[lower] + (position - Double(lower)) * (values[upper] - values[lower])
    }
}
