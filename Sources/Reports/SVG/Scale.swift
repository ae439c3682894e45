import Foundation

/// Linear or logarithmic (base 10) mapping of data values.
public enum ScaleKind: Sendable, Equatable {
    case linear
    case log10
}

/// How an axis range is chosen from the data.
public enum AxisRangePolicy: Sendable, Equatable {
    /// Widen to whole tick steps, so the axis starts and ends at a labelled tick.
    case nice
    /// Widen by this fraction of the span at each end (in the scale's own space); ticks inside.
    case padded(Double)
    /// Exactly the data range; ticks inside.
    case exact
}

/// Maps a data domain onto a pixel range, linearly or on a log10 scale.
///
/// For a vertical axis give the pixel range bottom first (`rangeStart` > `rangeEnd`), so
/// larger values are drawn higher up.
public struct Scale: Sendable, Equatable {
    public var kind: ScaleKind
    public var domainLower: Double
    public var domainUpper: Double
    public var rangeStart: Double
    public var rangeEnd: Double

    /// - Parameters:
    ///   - domain: data values at the two ends; for `.log10` both must be positive.
    ///   - range: pixel positions of `domain.lowerBound` and `domain.upperBound`.
    public init(kind: ScaleKind = .linear, domain: ClosedRange<Double>, range: (Double, Double)) {
        self.kind = kind
        domainLower = domain.lowerBound
        domainUpper = domain.upperBound
        rangeStart = range.0
        rangeEnd = range.1
    }

    /// `value` in the scale's own space: itself, or its log10 (NaN for values ≤ 0).
    public func transform(_ value: Double) -> Double {
        switch kind {
        case .linear: return value
        case .log10: return value > 0 ? Foundation.log10(value) : .nan
        }
    }

    /// The inverse of ``transform(_:)``.
    public func untransform(_ t: Double) -> Double {
        switch kind {
        case .linear: return t
        case .log10: return pow(10, t)
        }
    }

    /// Position of `value` as a fraction of the domain (0 at the lower end, 1 at the upper).
    public func fraction(_ value: Double) -> Double {
        let a = transform(domainLower), b = transform(domainUpper)
        guard b != a else { return 0.5 }
        return (transform(value) - a) / (b - a)
    }

    /// The pixel position of `value` (NaN for values a log scale cannot show).
    public func callAsFunction(_ value: Double) -> Double {
        rangeStart + fraction(value) * (rangeEnd - rangeStart)
    }

    /// The data value at pixel position `pixel`.
    public func invert(_ pixel: Double) -> Double {
        guard rangeEnd != rangeStart else { return domainLower }
        let t = (pixel - rangeStart) / (rangeEnd - rangeStart)
        let a = transform(domainLower), b = transform(domainUpper)
        return untransform(a + t * (b - a))
    }

    /// Whether `value` lies inside the domain (and can be shown at all).
    public func contains(_ value: Double) -> Bool {
        let t = transform(value)
        guard t.isFinite else { return false }
        let a = transform(domainLower), b = transform(domainUpper)
        let tolerance = 1e-9 * Swift.max(abs(b - a), 1e-300)
        return t >= Swift.min(a, b) - tolerance && t <= Swift.max(a, b) + tolerance
    }

    /// Lowest and highest finite values of `values` that this kind of scale can show
    /// (positive ones for log10); nil if there are none.
    public static func dataRange<S: Sequence>(_ values: S, kind: ScaleKind) -> ClosedRange<Double>? where S.Element == Double {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite && (kind == .linear || v > 0) {
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        return lo <= hi ? lo...hi : nil
    }
}
