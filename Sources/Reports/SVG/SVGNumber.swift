/// Compact, exact-looking number formatting for SVG attribute values.
public enum SVGNumber {
    /// Formats `value` with at most `decimals` digits after the point, without trailing zeros,
    /// exponent or a negative zero: `1.0000000001` → `"1"`, `12.5` → `"12.5"`, `-0.001` → `"0"`.
    ///
    /// Non-finite values (which have no meaning as a coordinate) are written as `"0"`; plots
    /// skip non-finite data before drawing, so this is only a guard against invalid markup.
    public static func format(_ value: Double, decimals: Int = 2) -> String {
        guard value.isFinite else { return "0" }
        let digits = max(0, min(decimals, 9))
        var scale: Double = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        if scaled == 0 { return "0" }
        guard scaled < 9.0e15 else {
            // Far beyond any coordinate; fall back to an integer rendering.
            return (value < 0 ? "-" : "") + String(Int64(min(abs(value), 9.2e18)))
        }
        let n = Int64(scaled)
        let unit = Int64(scale)
        let whole = n / unit
        var frac = n % unit
        var result = value < 0 ? "-" : ""
        result += String(whole)
        if frac > 0 {
            var width = digits
            while frac % 10 == 0 { frac /= 10; width -= 1 }
            let f = String(frac)
            result += "." + String(repeating: "0", count: width - f.count) + f
        }
        return result
    }
}
