/// Escaping of text for XML, SVG and XHTML output.
public enum XMLEscaping {
    /// Returns `text` safe to place in XML character data or a quoted attribute value.
    ///
    /// Replaces `&`, `<`, `>`, `"` and `'` with entity references that both XML and HTML
    /// understand (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`) and drops the control characters
    /// that XML 1.0 forbids (everything below U+0020 except tab, newline and carriage return,
    /// and U+FFFE / U+FFFF), so any label taken from a data file yields a well-formed document.
    public static func escape(_ text: String) -> String {
        var needsWork = false
        for unit in text.utf8 {
            switch unit {
            case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"):
                needsWork = true
            case 0xEF: needsWork = true  // possibly U+FFFE / U+FFFF
            case 0x00..<0x20 where unit != 0x09 && unit != 0x0A && unit != 0x0D:
                needsWork = true
            default: break
            }
            if needsWork { break }
        }
        if !needsWork { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            case "\t", "\n", "\r": out.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF { continue }
                out.append(scalar)
            }
        }
        return String(out)
    }
}
