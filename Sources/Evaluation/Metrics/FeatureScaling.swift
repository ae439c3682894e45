import SingleCell

/// Per-feature centring and scaling to unit variance fitted on one set of rows and applied to
/// any rows, as scanpy's `sc.pp.scale(adata, max_value=...)`: the mean and the unbiased
/// standard deviation (n - 1) of each column, a zero deviation taken as 1 (constant features
/// become 0 rather than NaN), then every value clipped to [-maxValue, maxValue].
///
/// Fitted on training cells and applied unchanged to held-out cells, so the held-out cells never
/// influence their own features.
public struct FeatureScaling: Sendable {
    public let mean: [Double]
    public let standardDeviation: [Double]
    /// Values beyond ±maxValue after scaling are clipped; nil: no clipping.
    public let maxValue: Double?

    /// Fits the columns of the dense row-major `rows x columns` matrix `x`.
    public init(fitting x: [Double], rows: Int, columns: Int, maxValue: Double?) {
        precondition(x.count == rows * columns && rows >= 2)
        var mean = [Double](repeating: 0, count: columns)
        for r in 0..<rows { for j in 0..<columns { mean[j] += x[r * columns + j] } }
        for j in 0..<columns { mean[j] /= Double(rows) }
        var squares = [Double](repeating: 0, count: columns)
        for r in 0..<rows {
            for j in 0..<columns {
                let d = x[r * columns + j] - mean[j]
                squares[j] += d * d
            }
        }
        self.mean = mean
        standardDeviation = squares.map { s in
            let sd = (s / Double(rows - 1)).squareRoot()
            return sd == 0 ? 1 : sd
        }
        self.maxValue = maxValue
    }

    /// `x` (dense row-major, the fitted column count) centred, scaled and clipped.
    public func apply(_ x: [Double]) -> [Double] {
        let columns = mean.count
        precondition(x.count % max(columns, 1) == 0)
        var out = x
        let limit = maxValue ?? .infinity
        for e in 0..<out.count {
            let j = e % columns
            out[e] = min(limit, max(-limit, (out[e] - mean[j]) / standardDeviation[j]))
        }
        return out
    }
}
