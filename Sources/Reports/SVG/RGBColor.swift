import Foundation

/// An sRGB colour with 8-bit channels.
public struct RGBColor: Sendable, Hashable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    /// A colour from its three 8-bit channels.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from a 24-bit value written as `0xRRGGBB`.
    public init(hex: UInt32) {
        red = UInt8((hex >> 16) & 0xFF)
        green = UInt8((hex >> 8) & 0xFF)
        blue = UInt8(hex & 0xFF)
    }

    /// A colour from a string such as `"#0072b2"` or `"0072B2"`; nil if it is not six hex digits.
    public init?(hexString: String) {
        var s = Substring(hexString)
        if s.hasPrefix("#") { s = s.dropFirst() }
        guard s.count == 6, let v = UInt32(s, radix: 16) else { return nil }
        self.init(hex: v)
    }

    /// The colour as lower-case `#rrggbb`, the form written into SVG and CSS.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for c in [red, green, blue] {
            s.append(digits[Int(c >> 4)])
            s.append(digits[Int(c & 0xF)])
        }
        return s
    }

    public var description: String { hex }

    /// WCAG relative luminance in [0, 1] (0 black, 1 white).
    public var relativeLuminance: Double {
        func linear(_ c: UInt8) -> Double {
            let v = Double(c) / 255
            return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// Black or white, whichever reads better as text on this colour.
    public var contrastingText: RGBColor {
        // Contrast ratio against black vs. against white; pick the larger.
        let l = relativeLuminance
        return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? RGBColor.textDark : .white
    }

    /// Linear interpolation in sRGB: `fraction` 0 gives `self`, 1 gives `other`.
    public func mixed(with other: RGBColor, fraction: Double) -> RGBColor {
        let t = min(max(fraction, 0), 1)
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded())
        }
        return RGBColor(red: mix(red, other.red), green: mix(green, other.green), blue: mix(blue, other.blue))
    }

    public static let white = RGBColor(hex: 0xFFFFFF)
    public static let black = RGBColor(hex: 0x000000)
    /// Near-black used for text, axes and tick labels.
    public static let textDark = RGBColor(hex: 0x222222)
    /// Mid grey for secondary text (subtitles, notes).
    public static let textMuted = RGBColor(hex: 0x555555)
    /// Axis lines and tick marks.
    public static let axis = RGBColor(hex: 0x444444)
    /// Light grey for grid lines.
    public static let grid = RGBColor(hex: 0xE3E3E3)
}
