import Foundation

/// JSON text as c2s writes it: fast byte building for the JSONL writers (Foundation's encoder
/// is far too slow for millions of lines), and string literals in the two dialects files must
/// match byte for byte (`serde_json`'s for safetensors headers, Python's `json.dumps` for
/// index files).
public enum JSONText {
    /// Appends `s` as a JSON string literal (with quotes) to `out`.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        // Fast path: most strings (gene lists, labels) need no escaping and are copied whole.
        if let done = s.utf8.withContiguousStorageIfAvailable({ bytes -> Bool in
            out.append(34)
            if !needsEscaping(bytes) {
                out.append(contentsOf: bytes)
            } else {
                // Copy runs of plain bytes whole; escape the rest one by one.
                var start = 0
                for i in 0..<bytes.count {
                    let b = bytes[i]
                    guard b < 32 || b == 34 || b == 92 else { continue }
                    if i > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i])) }
                    appendEscaped(b, to: &out)
                    start = i + 1
                }
                if start < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...])) }
            }
            out.append(34)
            return true
        }), done {
            return
        }
        // Strings without contiguous UTF-8 storage (bridged or lazily decoded): byte by byte.
        out.append(34)
        for u in s.utf8 {
            if u < 32 || u == 34 || u == 92 { appendEscaped(u, to: &out) } else { out.append(u) }
        }
        out.append(34)
    }

    /// Whether any byte is a control character, a quote or a backslash, eight bytes at a time
    /// with the classic "has zero/less-than byte" bit tricks (exact as yes/no answers).
    @inline(__always)
    static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & high != 0 }
        var i = 0
        while i + 8 <= bytes.count {
            let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let below32 = (v &- ones &* 0x20) & ~v & high != 0
            if below32 || hasZero(v ^ (ones &* 0x22)) || hasZero(v ^ (ones &* 0x5C)) { return true }
            i += 8
        }
        while i < bytes.count {
            let b = bytes[i]
            if b < 32 || b == 34 || b == 92 { return true }
            i += 1
        }
        return false
    }

    @inline(__always)
    static func appendEscaped(_ u: UInt8, to out: inout [UInt8]) {
        switch u {
        case 34: out.append(92); out.append(34)
        case 92: out.append(92); out.append(92)
        case 10: out.append(92); out.append(110)
        case 13: out.append(92); out.append(114)
        case 9: out.append(92); out.append(116)
        default:
            let hex: StaticString = "0123456789abcdef"
            out.append(contentsOf: [92, 117, 48, 48, hex.utf8Start[Int(u >> 4)], hex.utf8Start[Int(u & 15)]])
        }
    }

    /// Appends the escaped body (no quotes) of the UTF-8 bytes `p[0..<n]` to `out`, escaping
    /// exactly as `appendString` does.
    public static func appendBody(_ p: UnsafePointer<UInt8>, _ n: Int, to out: ByteBuffer) {
        let bytes = UnsafeBufferPointer(start: p, count: n)
        if !needsEscaping(bytes) {
            out.reserve(n)
            out.appendUnchecked(p, n)
            return
        }
        out.reserve(6 * n)  // "\u00XX" at most per byte
        let hex: StaticString = "0123456789abcdef"
        for i in 0..<n {
            let u = p[i]
            guard u < 32 || u == 34 || u == 92 else { out.appendUnchecked(u); continue }
            out.appendUnchecked(92)
            switch u {
            case 34, 92: out.appendUnchecked(u)
            case 10: out.appendUnchecked(110)
            case 13: out.appendUnchecked(114)
            case 9: out.appendUnchecked(116)
            default:
                out.appendUnchecked(117); out.appendUnchecked(48); out.appendUnchecked(48)
                out.appendUnchecked(hex.utf8Start[Int(u >> 4)]); out.appendUnchecked(hex.utf8Start[Int(u & 15)])
            }
        }
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

/// The two JSON dialects our files must match byte for byte.
///
/// Safetensors headers are written by Rust's `serde_json` (compact, UTF-8 kept as is), and
/// `model.safetensors.index.json` by Python's `json.dumps(indent=2, sort_keys=True)` (ASCII
/// only). Writing the same bytes as the reference libraries makes our files indistinguishable
/// from theirs, which the tests check against files the libraries wrote.
extension JSONText {
    /// A string literal as `serde_json` writes it: `"` and `\` escaped, control characters as
    /// `\b \t \n \f \r` or `\u00xx` (lowercase hex), everything else, non-ASCII included, verbatim.
    public static func serdeString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if let escape = shortEscape(scalar.value) {
                out += escape
            } else if scalar.value < 0x20 {
                out += "\\u" + hex4(scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A string literal as Python's `json.dumps` writes it with the default `ensure_ascii=True`:
    /// printable ASCII verbatim, the usual short escapes, everything else as `\uxxxx` (lowercase,
    /// astral characters as surrogate pairs).
    public static func pythonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if let escape = shortEscape(scalar.value) {
                out += escape
                continue
            }
            switch scalar.value {
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            case 0x10000...:
                let v = scalar.value - 0x10000
                out += "\\u" + hex4(0xD800 + (v >> 10)) + "\\u" + hex4(0xDC00 + (v & 0x3FF))
            default: out += "\\u" + hex4(scalar.value)
            }
        }
        return out + "\""
    }

    /// The value of one hexadecimal digit (either case), or nil for any other byte: the digits
    /// of JSON's `\uXXXX` escapes and of tokenizers' `<0xNN>` byte tokens.
    @inlinable
    public static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The escapes both dialects share: `"` and `\`, and the control characters with a short form.
    private static func shortEscape(_ value: UInt32) -> String? {
        switch value {
        case 0x22: return "\\\""
        case 0x5C: return "\\\\"
        case 0x08: return "\\b"
        case 0x09: return "\\t"
        case 0x0A: return "\\n"
        case 0x0C: return "\\f"
        case 0x0D: return "\\r"
        default: return nil
        }
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Orders keys as both reference libraries do: by code point, which is the byte order of
    /// UTF-8 (Swift's `<` on `String` uses Unicode canonical ordering instead).
    public static func codePointOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
