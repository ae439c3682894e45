/// The two JSON dialects our files must match byte for byte.
///
/// Safetensors headers are written by Rust's `serde_json` (compact, UTF-8 kept as is), and
/// `model.safetensors.index.json` by Python's `json.dumps(indent=2, sort_keys=True)` (ASCII
/// only). Writing the same bytes as the reference libraries makes our files indistinguishable
/// from theirs, which the tests check against files the libraries wrote.
enum JSONText {
    /// A string literal as `serde_json` writes it: `"` and `\` escaped, control characters as
    /// `\b \t \n \f \r` or `\u00xx` (lowercase hex), everything else, non-ASCII included, verbatim.
    static func serdeString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0..<0x20: out += "\\u" + hex4(scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A string literal as Python's `json.dumps` writes it with the default `ensure_ascii=True`:
    /// printable ASCII verbatim, the usual short escapes, everything else as `\uxxxx` (lowercase,
    /// astral characters as surrogate pairs).
    static func pythonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            case 0x10000...:
                let v = scalar.value - 0x10000
                out += "\\u" + hex4(0xD800 + (v >> 10)) + "\\u" + hex4(0xDC00 + (v & 0x3FF))
            default: out += "\\u" + hex4(scalar.value)
            }
        }
        return out + "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Orders keys as both reference libraries do: by code point, which is the byte order of
    /// UTF-8 (Swift's `<` on `String` uses Unicode canonical ordering instead).
    static func codePointOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
