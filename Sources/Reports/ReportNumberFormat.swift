import Evaluation
import Foundation

/// Number formatting for tables and notes in reports.
///
/// - Integers get thousands separators: `200,000`.
/// - Other values get `significant` significant digits (default 3) with at most 6 decimals:
///   `2.68`, `0.832`, `12.3`, `1,234.6`; tiny or huge ones use e-notation: `2.3e−5`.
/// - NaN and infinities print as `—`, `∞`, `−∞`; negatives use the minus sign U+2212.
public enum ReportNumberFormat {
    /// An integer with comma thousands separators.
    public static func integer<T: BinaryInteger>(_ value: T) -> String {
        let negative = value < 0
        var digits = String(negative ? String(String(value).dropFirst()) : String(value))
        var groups: [Substring] = []
        while digits.count > 3 {
            groups.insert(Substring(digits.suffix(3)), at: 0)
            digits.removeLast(3)
        }
        groups.insert(Substring(digits), at: 0)
        return (negative ? "\u{2212}" : "") + groups.joined(separator: ",")
    }

    /// A real number with about `significant` significant digits (see the type's notes).
    public static func number(_ value: Double, significant: Int = 3) -> String {
        guard value.isFinite else { return value.isNaN ? "—" : (value > 0 ? "∞" : "\u{2212}∞") }
        if value == 0 { return "0" }
        let a = abs(value)
        if a >= 1e15 || a < 1e-4 {
            var e = Int(floor(log10(a)))
            var m = value / pow(10, Double(e))
            let digits = max(significant - 1, 0)
            if abs(m).rounded(toPlaces: digits) >= 10 { m /= 10; e += 1 }
            return TickFormatter.fixed(m, digits) + "e" + TickFormatter.minus(String(e))
        }
        let magnitude = Int(floor(log10(a)))
        let decimals = min(max(significant - 1 - magnitude, 0), 6)
        let rounded = (value * pow(10, Double(decimals))).rounded() / pow(10, Double(decimals))
        if decimals == 0, abs(rounded) < 9e15 { return integer(Int64(rounded)) }
        return groupingThousands(TickFormatter.fixed(rounded, decimals))
    }

    /// `fraction` as a percentage with `decimals` decimals: `0.8321` → `83.2%`.
    public static func percent(_ fraction: Double, decimals: Int = 1) -> String {
        guard fraction.isFinite else { return number(fraction) }
        return TickFormatter.fixed(fraction * 100, decimals) + "%"
    }

    /// `value` with exactly `decimals` decimals and grouped thousands.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return number(value) }
        return groupingThousands(TickFormatter.fixed(value, decimals))
    }

    /// A fixed-point `text` (sign `\u{2212}`, `.` decimals) with its integer part grouped by
    /// `integer(_:)`; text whose integer part is not an Int64 comes back as it is.
    static func groupingThousands(_ text: String) -> String {
        let negative = text.hasPrefix("\u{2212}")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", maxSplits: 1)
        guard let whole = Int64(parts[0]) else { return text }
        return (negative ? "\u{2212}" : "") + integer(whole) + (parts.count > 1 ? "." + parts[1] : "")
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let p = pow(10, Double(places))
        return (self * p).rounded() / p
    }
}
