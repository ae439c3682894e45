/// Fill and stroke of an SVG shape.
///
/// A nil `fill` is written as `fill="none"`; a nil `stroke` draws no outline.
public struct SVGStyle: Sendable, Equatable {
    public var fill: RGBColor?
    public var stroke: RGBColor?
    public var strokeWidth: Double
    /// Opacity of the whole shape (1 = opaque); nil leaves it out.
    public var opacity: Double?
    public var fillOpacity: Double?
    public var strokeOpacity: Double?
    /// Dash pattern in pixels, e.g. `[6, 4]`; nil draws a solid line.
    public var dash: [Double]?
    /// Round line caps and joins (nicer for data lines).
    public var rounded: Bool
    /// Sets `shape-rendering="crispEdges"`: no anti-aliased seams between adjacent cells.
    public var crispEdges: Bool

    /// A style; by default no fill, no stroke.
    public init(fill: RGBColor? = nil, stroke: RGBColor? = nil, strokeWidth: Double = 1,
                opacity: Double? = nil, fillOpacity: Double? = nil, strokeOpacity: Double? = nil,
                dash: [Double]? = nil, rounded: Bool = false, crispEdges: Bool = false) {
        self.fill = fill
        self.stroke = stroke
        self.strokeWidth = strokeWidth
        self.opacity = opacity
        self.fillOpacity = fillOpacity
        self.strokeOpacity = strokeOpacity
        self.dash = dash
        self.rounded = rounded
        self.crispEdges = crispEdges
    }

    /// A filled shape without outline.
    public static func filled(_ color: RGBColor, opacity: Double? = nil) -> SVGStyle {
        SVGStyle(fill: color, fillOpacity: opacity)
    }

    /// An unfilled line or outline.
    public static func stroked(_ color: RGBColor, width: Double = 1, dash: [Double]? = nil) -> SVGStyle {
        SVGStyle(stroke: color, strokeWidth: width, dash: dash)
    }

    /// The presentation attributes, each preceded by a space.
    var attributes: String {
        var s = " fill=\"\(fill?.hex ?? "none")\""
        if let fillOpacity { s += " fill-opacity=\"\(SVGNumber.format(fillOpacity, decimals: 3))\"" }
        if let stroke {
            s += " stroke=\"\(stroke.hex)\""
            if strokeWidth != 1 { s += " stroke-width=\"\(SVGNumber.format(strokeWidth))\"" }
            if let strokeOpacity { s += " stroke-opacity=\"\(SVGNumber.format(strokeOpacity, decimals: 3))\"" }
            if let dash, !dash.isEmpty {
                s += " stroke-dasharray=\"\(dash.map { SVGNumber.format($0) }.joined(separator: " "))\""
            }
            if rounded { s += " stroke-linecap=\"round\" stroke-linejoin=\"round\"" }
        }
        if let opacity { s += " opacity=\"\(SVGNumber.format(opacity, decimals: 3))\"" }
        if crispEdges { s += " shape-rendering=\"crispEdges\"" }
        return s
    }
}

/// How text is set: size in pixels, colour and weight.
public struct SVGTextStyle: Sendable, Equatable {
    public var size: Double
    public var color: RGBColor
    public var bold: Bool
    public var italic: Bool
    /// A white outline behind the glyphs, so text stays readable over data.
    public var halo: Bool

    /// Text of `size` pixels in `color`.
    public init(size: Double = 12, color: RGBColor = .textDark, bold: Bool = false, italic: Bool = false,
                halo: Bool = false) {
        self.size = size
        self.color = color
        self.bold = bold
        self.italic = italic
        self.halo = halo
    }
}

/// Which point of the text sits at the given x.
public enum SVGTextAnchor: String, Sendable {
    case start, middle, end
}

/// Which line of the text sits at the given y.
///
/// Implemented with `dy` offsets (as d3 does) rather than `dominant-baseline`, which some
/// SVG renderers ignore.
public enum SVGTextBaseline: Sendable {
    /// The alphabetic baseline is at y.
    case alphabetic
    /// The middle of lower-case/digit height is at y.
    case middle
    /// The top of capitals is at y.
    case top

    var dy: String? {
        switch self {
        case .alphabetic: return nil
        case .middle: return "0.35em"
        case .top: return "0.71em"
        }
    }
}
