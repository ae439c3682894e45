/// A figure that renders itself as a standalone SVG document.
public protocol SVGFigure: Sendable {
    /// The SVG markup (`<svg xmlns=…>…</svg>`).
    func render() -> String
}
