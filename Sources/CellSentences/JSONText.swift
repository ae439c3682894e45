/// Minimal, fast JSON text building for the JSONL writers (Foundation's encoder is far too
/// slow for millions of lines).
public enum JSONText {
    /// Appends `s` as a JSON string literal (with quotes) to `out`.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(34)
        for u in s.utf8 {
            switch u {
            case 34: out.append(92); out.append(34)
            case 92: out.append(92); out.append(92)
            case 10: out.append(92); out.append(110)
            case 13: out.append(92); out.append(114)
            case 9: out.append(92); out.append(116)
            case 0..<32:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, 117, 48, 48, hex[Int(u >> 4)], hex[Int(u & 15)]])
            default: out.append(u)
            }
        }
        out.append(34)
    }

    /// The escaped body (no quotes) of `s`.
    public static func escapedBody(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        appendString(s, to: &out)
        return Array(out.dropFirst().dropLast())
    }

    /// A float in its shortest exact decimal form, or `null`.
    public static func number(_ v: Float) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded(), abs(v) < 1e7 { return String(Int64(v)) }
        return v.description
    }

    /// A finite number as JSON, or `null`.
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
