/// Equal-width binning of values, exactly as pandas' `pd.cut(x, bins=n)` (right-closed intervals).
///
/// pandas spans the bins from the smallest to the largest value with `np.linspace(min, max,
/// n + 1)` (edge i is `min + i * (max - min) / n`, the last edge exactly `max`), then widens the
/// first edge by 0.1 % of the range so the smallest value falls inside; when every value is
/// the same, both ends move by 0.1 % of the value (or 0.001 for zero) before spacing. A value
/// v lands in bin i when `edge[i] < v <= edge[i + 1]`. Reproducing the edge arithmetic keeps a
/// value that sits on an edge in the same bin as pandas puts it.
public enum EqualWidthBins {
    /// The bin (0..<bins) of every value. Values must be finite.
    public static func assign(_ values: [Double], bins: Int) -> [Int] {
        precondition(bins >= 1 && !values.isEmpty && values.allSatisfy(\.isFinite))
        var low = values.min()!, high = values.max()!
        var edges: [Double]
        if low == high {
            low -= low != 0 ? 0.001 * abs(low) : 0.001
            high += high != 0 ? 0.001 * abs(high) : 0.001
            edges = linspace(low, high, bins + 1)
        } else {
            edges = linspace(low, high, bins + 1)
            edges[0] -= (high - low) * 0.001
        }
        // numpy's searchsorted(side="left") minus one: the first edge >= v closes v's bin.
        return values.map { v in
            var lo = 0, hi = edges.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if edges[mid] < v { lo = mid + 1 } else { hi = mid }
            }
            return min(max(lo - 1, 0), bins - 1)
        }
    }

    /// `np.linspace(start, stop, count)`: `i * step + start` with `step = (stop - start) / (count - 1)`,
    /// the last point set to `stop`.
    static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        let step = (stop - start) / Double(count - 1)
        var out = (0..<count).map { Double($0) * step + start }
        out[count - 1] = stop
        return out
    }
}
