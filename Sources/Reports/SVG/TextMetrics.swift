/// Estimates of how wide a line of text will be, for layout without a font engine.
///
/// Uses Helvetica's advance widths (Adobe AFM, per 1000 em) for printable ASCII, 0.6 em for
/// other characters and 1 em for East Asian wide ones, then adds 12 % so that the estimate
/// also covers DejaVu Sans (the usual fallback on Linux, which is wider than Helvetica, Arial
/// and Liberation Sans). Layout that keeps this much room never lets labels collide.
public enum TextMetrics {
    /// Helvetica widths for U+0020…U+007E.
    private static let ascii: [UInt16] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  // space … /
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  // 0 … ?
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  // @ … O
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  // P … _
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  // ` … o
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,  // p … ~
    ]

    /// Safety factor covering wider fallback fonts.
    static let fallbackFactor = 1.12

    /// Estimated width in pixels of `text` at font size `size` (pixels).
    public static func width(_ text: String, size: Double, bold: Bool = false) -> Double {
        var units = 0.0
        for scalar in text.unicodeScalars {
            units += advance(scalar)
        }
        return units / 1000 * size * fallbackFactor * (bold ? 1.07 : 1)
    }

    /// `text`, cut and ended with "…" if needed so that it fits in `maxWidth` pixels.
    public static func truncate(_ text: String, toWidth maxWidth: Double, size: Double, bold: Bool = false) -> String {
        // A little slack, so that a width measured by `width` itself always fits.
        if width(text, size: size, bold: bold) <= maxWidth + 0.5 { return text }
        let ellipsis = width("…", size: size, bold: bold)
        var chars = Array(text)
        while !chars.isEmpty {
            chars.removeLast()
            let candidate = String(chars).trimmingTrailingSpaces()
            if width(candidate, size: size, bold: bold) + ellipsis <= maxWidth {
                return candidate + "…"
            }
        }
        return "…"
    }

    private static func advance(_ s: Unicode.Scalar) -> Double {
        let v = s.value
        if v >= 0x20 && v <= 0x7E { return Double(ascii[Int(v - 0x20)]) }
        switch v {
        case 0x2212, 0x00D7: return 584  // minus sign, multiplication sign
        case 0x00B7, 0x2009, 0x202F: return 278  // middle dot, thin spaces
        case 0x2026: return 1000  // ellipsis
        case 0x00B2, 0x00B3, 0x00B9, 0x2070...0x209F: return 333  // super/subscripts
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1FAFF, 0x20000...0x3FFFD:
            return 1000
        case 0x0300...0x036F: return 0  // combining marks
        default: return 600
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
