import Foundation

/// Counts of points on an `nx` × `ny` grid of equal-width bins.
///
/// Bins are equally wide in each axis's own space: in x itself for a linear axis, in log10(x)
/// for a log axis. Counts are stored row by row, row 0 at the lowest y, column 0 at the lowest x.
public struct Histogram2D: Sendable, Equatable {
    public let nx: Int
    public let ny: Int
    public let xRange: ClosedRange<Double>
    public let yRange: ClosedRange<Double>
    public let xScale: ScaleKind
    public let yScale: ScaleKind
    /// `ny` rows of `nx` counts (may be weights rather than integers).
    public private(set) var counts: [Double]
    /// Points that were not counted: non-finite, outside the ranges, or ≤ 0 on a log axis.
    public private(set) var outside: Int

    /// Pre-binned counts (`counts.count == nx * ny`, row 0 at the lowest y).
    public init(counts: [Double], nx: Int, ny: Int, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>,
                xScale: ScaleKind = .linear, yScale: ScaleKind = .linear) {
        precondition(nx > 0 && ny > 0 && counts.count == nx * ny, "counts must hold nx × ny values")
        self.nx = nx
        self.ny = ny
        self.xRange = xRange
        self.yRange = yRange
        self.xScale = xScale
        self.yScale = yScale
        self.counts = counts
        outside = 0
    }

    /// Bins the points (`x[i]`, `y[i]`).
    ///
    /// Ranges default to the smallest and largest finite values (positive ones on a log axis);
    /// a point exactly on the upper edge goes into the last bin; points outside are counted in
    /// ``outside``.
    public init(x: [Double], y: [Double], nx: Int = 120, ny: Int = 90,
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                xScale: ScaleKind = .linear, yScale: ScaleKind = .linear) {
        precondition(x.count == y.count, "x and y must have the same length")
        precondition(nx > 0 && ny > 0, "need at least one bin")
        func range(_ v: [Double], _ kind: ScaleKind, _ given: ClosedRange<Double>?) -> ClosedRange<Double> {
            if let given { return given }
            guard let r = Scale.dataRange(v, kind: kind) else { return kind == .log10 ? 1...10 : 0...1 }
            if r.lowerBound < r.upperBound { return r }
            let pad = r.lowerBound == 0 ? 0.5 : abs(r.lowerBound) * 0.05
            return kind == .log10 ? (r.lowerBound / 1.1)...(r.upperBound * 1.1) : (r.lowerBound - pad)...(r.upperBound + pad)
        }
        let xr = range(x, xScale, xRange), yr = range(y, yScale, yRange)
        self.init(counts: [Double](repeating: 0, count: nx * ny), nx: nx, ny: ny, xRange: xr, yRange: yr,
                  xScale: xScale, yScale: yScale)
        let bx = Binner(range: xr, kind: xScale, bins: nx), by = Binner(range: yr, kind: yScale, bins: ny)
        var dropped = 0
        counts.withUnsafeMutableBufferPointer { c in
            for i in 0..<x.count {
                guard let ix = bx.bin(x[i]), let iy = by.bin(y[i]) else { dropped += 1; continue }
                c[iy * nx + ix] += 1
            }
        }
        outside = dropped
    }

    /// The count in column `column` (x) of row `row` (y).
    public func count(column: Int, row: Int) -> Double { counts[row * nx + column] }

    /// Sum of all counts.
    public var total: Double { counts.reduce(0, +) }

    /// The largest count.
    public var maxCount: Double { counts.max() ?? 0 }

    /// The x value at the left edge of column `i` (`i == nx` gives the right end).
    public func xEdge(_ i: Int) -> Double { Binner(range: xRange, kind: xScale, bins: nx).edge(i) }

    /// The y value at the lower edge of row `j` (`j == ny` gives the top).
    public func yEdge(_ j: Int) -> Double { Binner(range: yRange, kind: yScale, bins: ny).edge(j) }
}

/// Equal-width bins in linear or log10 space.
struct Binner {
    let a: Double, b: Double, bins: Int, kind: ScaleKind

    init(range: ClosedRange<Double>, kind: ScaleKind, bins: Int) {
        self.kind = kind
        self.bins = bins
        if kind == .log10 {
            a = Foundation.log10(max(range.lowerBound, .leastNormalMagnitude))
            b = Foundation.log10(max(range.upperBound, .leastNormalMagnitude))
        } else {
            a = range.lowerBound
            b = range.upperBound
        }
    }

    func bin(_ v: Double) -> Int? {
        let t = kind == .log10 ? (v > 0 ? Foundation.log10(v) : .nan) : v
        guard t.isFinite, t >= a, t <= b, b > a else { return nil }
        return min(Int((t - a) / (b - a) * Double(bins)), bins - 1)
    }

    func edge(_ i: Int) -> Double {
        let t = a + (b - a) * Double(i) / Double(bins)
        return kind == .log10 ? pow(10, t) : t
    }
}
