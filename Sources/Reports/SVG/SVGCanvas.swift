/// Builds one standalone SVG document, element by element.
///
/// Coordinates are pixels with the origin at the top left. Every number is written with
/// ``SVGNumber`` (at most two decimals), every text with ``XMLEscaping``, so the output is
/// compact and always well-formed XML.
///
/// Identifiers (for clip paths) must be unique on an HTML page that holds several figures.
/// The canvas writes them with a placeholder and ``render(title:idPrefix:)`` replaces it with
/// a prefix derived from a hash of the drawing, so two different figures never share an id
/// and the same figure always gets the same ids.
///
/// ```swift
/// var svg = SVGCanvas(width: 200, height: 100)
/// svg.rect(x: 10, y: 10, width: 50, height: 30, style: .filled(.black), title: "a box")
/// svg.text("Hello & welcome", x: 100, y: 50, anchor: .middle, baseline: .middle)
/// let markup = svg.render()
/// ```
public struct SVGCanvas: Sendable {
    /// The default font stack: metric-compatible Helvetica/Arial clones first, then DejaVu.
    public static let defaultFontFamily =
        "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"

    /// Placeholder for the id prefix (a control character never survives text escaping).
    static let idMarker = "\u{1}"

    public let width: Double
    public let height: Double
    public var fontFamily: String
    private var defs = ""
    private var body = ""
    private var nextID = 0
    private var openGroups = 0

    /// An empty drawing `width` × `height` pixels.
    public init(width: Double, height: Double, fontFamily: String = SVGCanvas.defaultFontFamily) {
        self.width = width
        self.height = height
        self.fontFamily = fontFamily
        body.reserveCapacity(1 << 14)
    }

    // MARK: Shapes

    /// A rectangle. `title` becomes a hover tooltip.
    public mutating func rect(x: Double, y: Double, width: Double, height: Double,
                              style: SVGStyle, cornerRadius: Double = 0, title: String? = nil) {
        var s = "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(0, width)))\" height=\"\(f(max(0, height)))\""
        if cornerRadius > 0 { s += " rx=\"\(f(cornerRadius))\"" }
        s += style.attributes
        close(&s, title: title)
    }

    /// A straight line segment.
    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double,
                              style: SVGStyle, title: String? = nil) {
        var s = "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\"" + style.attributes
        close(&s, title: title)
    }

    /// An open polyline through `points`; nothing is drawn for fewer than two points.
    public mutating func polyline(_ points: [(x: Double, y: Double)], style: SVGStyle, title: String? = nil) {
        guard points.count >= 2 else { return }
        var s = "<polyline points=\""
        s.reserveCapacity(points.count * 12 + 64)
        for (i, p) in points.enumerated() {
            if i > 0 { s += " " }
            s += f(p.x) + "," + f(p.y)
        }
        s += "\"" + style.attributes
        close(&s, title: title)
    }

    /// A path; build `data` with ``SVGPath``.
    public mutating func path(_ data: SVGPath, style: SVGStyle, title: String? = nil) {
        guard !data.isEmpty else { return }
        var s = "<path d=\"\(data.data)\"" + style.attributes
        close(&s, title: title)
    }

    /// A circle.
    public mutating func circle(cx: Double, cy: Double, r: Double, style: SVGStyle, title: String? = nil) {
        var s = "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"\(f(r))\"" + style.attributes
        close(&s, title: title)
    }

    /// A single line of text.
    ///
    /// - Parameters:
    ///   - anchor: which point of the text is at `x`.
    ///   - baseline: which line of the text is at `y`.
    ///   - rotation: degrees clockwise about (`x`, `y`); -90 reads bottom to top.
    public mutating func text(_ text: String, x: Double, y: Double, style: SVGTextStyle = SVGTextStyle(),
                              anchor: SVGTextAnchor = .start, baseline: SVGTextBaseline = .alphabetic,
                              rotation: Double = 0, title: String? = nil) {
        var s = "<text x=\"\(f(x))\" y=\"\(f(y))\""
        if let dy = baseline.dy { s += " dy=\"\(dy)\"" }
        if anchor != .start { s += " text-anchor=\"\(anchor.rawValue)\"" }
        if rotation != 0 { s += " transform=\"rotate(\(f(rotation)) \(f(x)) \(f(y)))\"" }
        s += " font-size=\"\(f(style.size))\""
        if style.bold { s += " font-weight=\"bold\"" }
        if style.italic { s += " font-style=\"italic\"" }
        if style.color != .black { s += " fill=\"\(style.color.hex)\"" }
        if style.halo {
            s += " stroke=\"#ffffff\" stroke-width=\"3\" stroke-opacity=\"0.9\" stroke-linejoin=\"round\" paint-order=\"stroke\""
        }
        s += ">"
        if let title { s += "<title>\(XMLEscaping.escape(title))</title>" }
        s += XMLEscaping.escape(text) + "</text>"
        body += s
    }

    // MARK: Structure

    /// Defines a rectangular clip path and returns its id (for `group(clipPath:)`).
    public mutating func clipRect(x: Double, y: Double, width: Double, height: Double) -> String {
        let id = newID("clip")
        defs += "<clipPath id=\"\(id)\"><rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(height))\"/></clipPath>"
        return id
    }

    /// Draws `content` inside a `<g>` element.
    ///
    /// - Parameters:
    ///   - id: a fixed `id` attribute (escaped); figure-wide ids are better made with `clipRect`.
    ///   - cssClass: a `class` attribute, e.g. to let a report style one layer.
    ///   - translate: offsets everything inside by (dx, dy).
    ///   - clipPath: an id returned by ``clipRect(x:y:width:height:)``.
    ///   - style: fill/stroke inherited by children that set none.
    ///   - title: a tooltip for the whole group.
    public mutating func group(id: String? = nil, cssClass: String? = nil,
                               translate: (dx: Double, dy: Double)? = nil, clipPath: String? = nil,
                               style: SVGStyle? = nil, title: String? = nil,
                               _ content: (inout SVGCanvas) -> Void) {
        var s = "<g"
        if let id { s += " id=\"\(XMLEscaping.escape(id))\"" }
        if let cssClass { s += " class=\"\(XMLEscaping.escape(cssClass))\"" }
        if let translate { s += " transform=\"translate(\(f(translate.dx)) \(f(translate.dy)))\"" }
        if let clipPath { s += " clip-path=\"url(#\(clipPath))\"" }
        if let style { s += style.attributes }
        s += ">"
        if let title { s += "<title>\(XMLEscaping.escape(title))</title>" }
        body += s
        openGroups += 1
        content(&self)
        openGroups -= 1
        body += "</g>"
    }

    /// Appends markup as is. The caller is responsible for it being well-formed and escaped.
    public mutating func raw(_ markup: String) {
        body += markup
    }

    // MARK: Output

    /// The standalone document: `<svg xmlns=… width=… height=… viewBox=…>` with the drawing.
    ///
    /// - Parameters:
    ///   - title: an accessible name, written as the first child `<title>` (screen readers and
    ///     a tooltip over empty parts of the figure).
    ///   - idPrefix: prefix of the ids inside; by default `c2s-` and eight hex digits of a hash
    ///     of the drawing.
    public func render(title: String? = nil, idPrefix: String? = nil) -> String {
        precondition(openGroups == 0, "render() inside group()")
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\""
        out += " viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\""
        out += " font-family=\"\(XMLEscaping.escape(fontFamily))\">"
        if let title { out += "<title>\(XMLEscaping.escape(title))</title>" }
        if !defs.isEmpty { out += "<defs>" + defs + "</defs>" }
        out += body
        out += "</svg>"
        guard nextID > 0 else { return out }
        let prefix = idPrefix.map(Self.sanitizeID) ?? ("c2s-" + Self.hashHex(out))
        return out.replacingOccurrences(of: Self.idMarker, with: prefix)
    }

    // MARK: Helpers

    private func f(_ v: Double) -> String { SVGNumber.format(v) }

    private mutating func close(_ s: inout String, title: String?) {
        if let title {
            s += "><title>" + XMLEscaping.escape(title) + "</title></" + Self.tagName(s) + ">"
        } else {
            s += "/>"
        }
        body += s
    }

    private static func tagName(_ openTag: String) -> Substring {
        let afterBracket = openTag.dropFirst()
        return afterBracket.prefix { $0 != " " && $0 != ">" && $0 != "/" }
    }

    private mutating func newID(_ kind: String) -> String {
        defer { nextID += 1 }
        return Self.idMarker + "-\(kind)\(nextID)"
    }

    /// 32 bits of FNV-1a over the UTF-8 bytes, as eight hex digits.
    static func hashHex(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        let folded = UInt32(truncatingIfNeeded: h ^ (h >> 32))
        let hex = String(folded, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Keeps letters, digits, `-` and `_`; makes sure the id starts with a letter.
    static func sanitizeID(_ s: String) -> String {
        var out = String(s.unicodeScalars.filter {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_"
        }.map(Character.init))
        if out.first.map({ !$0.isLetter }) ?? true { out = "id-" + out }
        return out
    }
}

/// Path data (`d` attribute) built with compactly formatted numbers.
public struct SVGPath: Sendable {
    public private(set) var data = ""

    public init() {}

    public var isEmpty: Bool { data.isEmpty }

    public mutating func move(to x: Double, _ y: Double) {
        data += "M" + SVGNumber.format(x) + " " + SVGNumber.format(y)
    }

    public mutating func line(to x: Double, _ y: Double) {
        data += "L" + SVGNumber.format(x) + " " + SVGNumber.format(y)
    }

    public mutating func closePath() {
        data += "Z"
    }
}
