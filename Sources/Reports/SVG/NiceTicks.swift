import Foundation

/// Tick positions for an axis: major values, minor values, and the step between majors.
public struct TickSet: Sendable, Equatable {
    /// Major tick values, increasing.
    public var values: [Double]
    /// Distance between major ticks (in data units for linear ticks, in decades for log ticks).
    public var step: Double
    /// Digits after the decimal point that the step needs (0 for log ticks).
    public var fractionDigits: Int
    /// The axis range the ticks were made for (widened to whole steps by Heckbert's method and
    /// by `expand`).
    public var lower: Double
    public var upper: Double
    /// Unlabelled minor ticks (log axes: 2…9 × 10^k when there is room).
    public var minor: [Double]
    /// Whether these are powers of ten or 1-2-5 multiples on a log axis (labelled with
    /// ``TickFormatter/logLabels(_:)``); false for evenly spaced ticks.
    public var isLog: Bool

    /// A tick set (normally made by ``NiceTicks``).
    public init(values: [Double], step: Double, fractionDigits: Int, lower: Double, upper: Double,
                minor: [Double] = [], isLog: Bool = false) {
        self.values = values
        self.step = step
        self.fractionDigits = fractionDigits
        self.lower = lower
        self.upper = upper
        self.minor = minor
        self.isLog = isLog
    }
}

/// "Nice" tick values: multiples of 1, 2 or 5 × 10^k.
///
/// Follows Paul Heckbert, "Nice numbers for graph labels", Graphics Gems (1990).
public enum NiceTicks {
    /// Heckbert's nice number near `x` (> 0): 1, 2, 5 or 10 × 10^k. With `round` the nearest
    /// one (thresholds 1.5, 3, 7), otherwise the smallest one not below `x`.
    public static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = floor(Foundation.log10(x))
        let power = pow(10, exponent)
        let fraction = x / power
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * power
    }

    /// Heckbert's "loose" labelling: about `count` ticks whose first and last enclose
    /// [`min`, `max`]. The range is rounded up to a nice number, divided into `count - 1`
    /// parts, and that part rounded to a nice step.
    ///
    /// For 0…1 and 5 ticks: 0, 0.2, …, 1. For -0.2…2.68: -1, 0, 1, 2, 3.
    public static func heckbert(min: Double, max: Double, count: Int = 5) -> TickSet {
        let (lo, hi) = usableRange(min, max)
        let range = niceNumber(hi - lo, round: false)
        let d = niceNumber(range / Double(Swift.max(count - 1, 1)), round: true)
        let graphMin = floor(lo / d) * d
        let graphMax = ceil(hi / d) * d
        return evenTicks(step: d, from: graphMin, to: graphMax)
    }

    /// A nice step for about `count` ticks over `span`: the span divided into `count - 1`
    /// parts, rounded to the nearest 1, 2, 5 × 10^k.
    public static func step(span: Double, count: Int) -> Double {
        niceNumber(span / Double(Swift.max(count - 1, 1)), round: true)
    }

    /// About `count` ticks at a nice step for [`min`, `max`].
    ///
    /// With `expand` the range grows to the enclosing multiples of the step (the first and last
    /// ticks are the ends of the axis); otherwise only ticks inside the range are returned and
    /// `lower`/`upper` are `min`/`max`.
    public static func linear(min: Double, max: Double, count: Int, expand: Bool) -> TickSet {
        let (lo, hi) = usableRange(min, max)
        let d = step(span: hi - lo, count: count)
        if expand {
            return evenTicks(step: d, from: floor(lo / d + 1e-9) * d, to: ceil(hi / d - 1e-9) * d)
        }
        var t = evenTicks(step: d, from: ceil(lo / d - 1e-9) * d, to: floor(hi / d + 1e-9) * d)
        t.lower = lo
        t.upper = hi
        return t
    }

    /// Ticks for a log10 axis over [`min`, `max`] (both > 0), at most `maxCount` labelled.
    ///
    /// Powers of ten (every decade, or every 2nd, 3rd, 5th … when there are many); with less
    /// than two decades in range, 1-2-5 multiples; with less than that, linear nice ticks.
    /// `expand` widens the range to whole decades. Minor ticks (2…9 × 10^k) come with
    /// decade-by-decade majors when at most 8 decades are shown.
    public static func log10(min: Double, max: Double, maxCount: Int = 8, expand: Bool) -> TickSet {
        var lo = min > 0 && min.isFinite ? min : 1
        var hi = max > 0 && max.isFinite ? max : lo * 10
        if hi < lo { swap(&lo, &hi) }
        if hi / lo < 1.000001 { lo /= 2; hi *= 2 }
        var a = Foundation.log10(lo), b = Foundation.log10(hi)
        if expand {
            a = floor(a + 1e-9)
            b = ceil(b - 1e-9)
            lo = pow(10, a)
            hi = pow(10, b)
        }
        let firstDecade = Int(ceil(a - 1e-9)), lastDecade = Int(floor(b + 1e-9))
        let decades = lastDecade - firstDecade + 1
        if decades >= 2 {
            var every = 1
            for candidate in [1, 2, 3, 4, 5, 10, 20, 50, 100] {
                every = candidate
                if (decades - 1) / candidate + 1 <= Swift.max(maxCount, 2) { break }
            }
            var values: [Double] = []
            for k in firstDecade...lastDecade where k % every == 0 || every == 1 {
                values.append(pow10(k))
            }
            if values.count < 2 {  // the multiples of `every` missed the range
                values = [pow10(firstDecade), pow10(lastDecade)]
            }
            var minor: [Double] = []
            if every == 1 && decades <= 9 {
                for k in (firstDecade - 1)...lastDecade {
                    for m in 2...9 {
                        let v = Double(m) * pow10(k)
                        if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { minor.append(v) }
                    }
                }
            }
            return TickSet(values: values, step: Double(every), fractionDigits: 0, lower: lo, upper: hi,
                           minor: minor, isLog: true)
        }
        // Less than two powers of ten inside: try 1, 2, 5 × 10^k.
        var values: [Double] = []
        for k in (firstDecade - 1)...(lastDecade + 1) {
            for m in [1.0, 2.0, 5.0] {
                let v = m * pow10(k)
                if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { values.append(v) }
            }
        }
        if values.count >= 3 && values.count <= Swift.max(maxCount, 3) {
            return TickSet(values: values, step: 0, fractionDigits: 0, lower: lo, upper: hi, isLog: true)
        }
        // Linearly spaced values (labelled as such; `isLog` stays false).
        return linear(min: lo, max: hi, count: Swift.min(maxCount, 5), expand: false)
    }

    // MARK: Helpers

    /// Ticks `from`, `from + step`, … `to`, each rounded to the digits the step needs so that
    /// no value carries floating-point noise such as 0.30000000000000004.
    static func evenTicks(step d: Double, from first: Double, to last: Double) -> TickSet {
        let digits = Swift.max(-Int(floor(Foundation.log10(d) + 1e-9)), 0)
        let p = pow(10, Double(Swift.min(digits, 15)))
        let k0 = Int((first / d).rounded()), k1 = Int((last / d).rounded())
        var values: [Double] = []
        if k1 >= k0 {
            values.reserveCapacity(k1 - k0 + 1)
            for k in k0...k1 {
                var v = (Double(k) * d * p).rounded() / p
                if v == 0 { v = 0 }  // no negative zero
                values.append(v)
            }
        }
        return TickSet(values: values, step: d, fractionDigits: digits, lower: first, upper: last)
    }

    /// A finite, increasing, non-degenerate range.
    static func usableRange(_ a: Double, _ b: Double) -> (Double, Double) {
        var lo = a.isFinite ? a : (b.isFinite ? b : 0)
        var hi = b.isFinite ? b : lo
        if hi < lo { swap(&lo, &hi) }
        let scale = Swift.max(abs(lo), abs(hi))
        if hi - lo <= 1e-12 * Swift.max(scale, 1e-300) {
            if scale == 0 { return (-1, 1) }
            let pad = scale * 0.1
            return (lo - pad, hi + pad)
        }
        return (lo, hi)
    }

    static func pow10(_ k: Int) -> Double {
        // Exact for the powers that matter; pow(10, -1) is already the nearest double to 0.1.
        k >= 0 ? pow(10, Double(k)) : 1 / pow(10, Double(-k))
    }
}
