import Foundation

/// Labels for tick values.
///
/// All labels of one axis share their number of decimals (`0.0 0.5 1.0 1.5`, as in ggplot2 and
/// matplotlib). From 10 000 on, labels use SI suffixes (`2k`, `10k`, `1.5M`); below 0.001,
/// e-notation (`2e−4`). Log axes label powers of ten `1 10 100 1k 10k 100k 1M`. Negative numbers
/// use the typographic minus sign U+2212.
public enum TickFormatter {
    /// Labels for evenly spaced ticks `values` that are `step` apart.
    public static func labels(_ values: [Double], step: Double) -> [String] {
        let maxAbs = values.map(abs).max() ?? 0
        let step = step > 0 ? step : (maxAbs > 0 ? maxAbs : 1)
        if maxAbs >= 1e4 && maxAbs < 1e15 {
            let (unit, suffix) = siUnit(maxAbs)
            let digits = decimals(for: step / unit)
            return values.map { $0 == 0 ? "0" : fixed($0 / unit, digits) + suffix }
        }
        if maxAbs >= 1e15 || (maxAbs > 0 && maxAbs < 1e-3) {
            let e = Int(floor(log10(maxAbs)))
            let unit = pow(10, Double(e))
            let digits = decimals(for: step / unit)
            return values.map { $0 == 0 ? "0" : fixed($0 / unit, digits) + "e" + minus(String(e)) }
        }
        let digits = decimals(for: step)
        return values.map { fixed($0, digits) }
    }

    /// Labels for ticks on a log10 axis: `0.01 0.1 1 10 100 1k 10k 100k 1M`, and for
    /// 1-2-5 ticks `2 5 20 50 200 500 2k`.
    public static func logLabels(_ values: [Double]) -> [String] {
        values.map { compact($0, siFrom: 1e3) }
    }

    /// A short rendering of any value: up to four significant digits, SI suffixes (k, M, G, T)
    /// from `siFrom` (10 000 by default), e-notation below 0.001, no trailing zeros.
    public static func compact(_ value: Double, siFrom: Double = 1e4) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        if value == 0 { return "0" }
        let a = abs(value)
        if a >= siFrom && a < 1e15 {
            let (unit, suffix) = siUnit(a)
            return trimmed(value / unit, significant: 4) + suffix
        }
        if a < 1e-3 || a >= 1e15 {
            var e = Int(floor(log10(a)))
            var mantissa = value / pow(10, Double(e))
            if abs((mantissa * 1000).rounded() / 1000) >= 10 { mantissa /= 10; e += 1 }
            return trimmed(mantissa, significant: 4) + "e" + minus(String(e))
        }
        return trimmed(value, significant: 4)
    }

    /// `value` with `digits` decimals, minus sign U+2212, never "−0".
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        var s = String(format: "%.\(max(0, min(digits, 12)))f", value)
        if s.hasPrefix("-") && s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { s.removeFirst() }
        return minus(s)
    }

    // MARK: Helpers

    static func decimals(for step: Double) -> Int {
        guard step > 0, step.isFinite else { return 0 }
        // Steps such as 0.25 (never produced by NiceTicks, but possible for callers) need two.
        var digits = max(0, -Int(floor(log10(step) + 1e-9)))
        while digits < 12 {
            let scaled = step * pow(10, Double(digits))
            if abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled) { break }
            digits += 1
        }
        return digits
    }

    static func siUnit(_ magnitude: Double) -> (Double, String) {
        if magnitude >= 1e12 { return (1e12, "T") }
        if magnitude >= 1e9 { return (1e9, "G") }
        if magnitude >= 1e6 { return (1e6, "M") }
        return (1e3, "k")
    }

    static func trimmed(_ value: Double, significant: Int) -> String {
        let a = abs(value)
        let intDigits = a >= 1 ? Int(floor(log10(a))) + 1 : 1
        var s = fixed(value, max(0, significant - intDigits))
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    static func minus(_ s: String) -> String {
        s.replacingOccurrences(of: "-", with: "\u{2212}")
    }
}
