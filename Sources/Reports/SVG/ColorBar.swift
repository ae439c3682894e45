import Foundation

/// A vertical colour bar: the legend of a ``SequentialColorScale``.
///
/// Drawn as 64 stacked cells (no gradient definitions, so it looks the same everywhere),
/// with tick labels to the right: powers of ten for log scales, nice linear ticks otherwise.
/// An optional title sits above the bar.
public struct ColorBar: Sendable {
    public var scale: SequentialColorScale
    public var title: String?
    public var fontSize: Double
    /// Width of the coloured bar itself.
    public var barWidth: Double = 14
    /// Number of cells the bar is drawn with.
    public var steps: Int = 64

    /// A colour bar explaining `scale`, with an optional title above it.
    public init(scale: SequentialColorScale, title: String? = nil, fontSize: Double = 12) {
        self.scale = scale
        self.title = title
        self.fontSize = fontSize
    }

    /// The tick values and labels along the bar, for a bar `height` pixels tall.
    public func ticks(height: Double) -> [(value: Double, label: String)] {
        let maxCount = max(2, min(8, Int(height / (fontSize * 2)) + 1))
        switch scale.transform {
        case .log10:
            let t = NiceTicks.log10(min: scale.lower, max: scale.upper, maxCount: maxCount, expand: false)
            let labels = t.isLog ? TickFormatter.logLabels(t.values) : TickFormatter.labels(t.values, step: t.step)
            return Array(zip(t.values, labels)).map { ($0, $1) }
        case .linear:
            let t = NiceTicks.linear(min: scale.lower, max: scale.upper, count: min(maxCount, 6), expand: false)
            return Array(zip(t.values, TickFormatter.labels(t.values, step: t.step))).map { ($0, $1) }
        }
    }

    private var titleBlockHeight: Double { title == nil ? 0 : (fontSize * 1.6).rounded() }

    /// Total width, given the bar height (labels depend on it).
    public func width(height: Double) -> Double {
        let labels = ticks(height: height).map { TextMetrics.width($0.label, size: fontSize) }.max() ?? 0
        let titleWidth = title.map { TextMetrics.width($0, size: fontSize) } ?? 0
        return max(barWidth + Axis.tickLength + Axis.labelGap + labels, titleWidth)
    }

    /// Total height: title plus bar, with half a line of room for the top label.
    public func totalHeight(barHeight: Double) -> Double {
        titleBlockHeight + barHeight + fontSize / 2
    }

    /// Draws with the top-left corner at (x, y); the bar is `barHeight` tall.
    public func draw(on canvas: inout SVGCanvas, x: Double, y: Double, barHeight: Double, maxWidth: Double) {
        canvas.group(cssClass: "colorbar") { g in
            if let title {
                let t = TextMetrics.truncate(title, toWidth: maxWidth, size: fontSize)
                g.text(t, x: x, y: y + fontSize, style: SVGTextStyle(size: fontSize, color: .textDark),
                       title: t == title ? nil : title)
            }
            let top = y + titleBlockHeight + fontSize / 2
            let n = max(steps, 2)
            let cell = barHeight / Double(n)
            g.group(style: SVGStyle(crispEdges: true)) { cells in
                for i in 0..<n {
                    // Cell i covers positions (i, i+1)/n from the bottom; colour at its centre.
                    let color = scale.colormap.color(at: (Double(i) + 0.5) / Double(n))
                    let cy = top + barHeight - Double(i + 1) * cell
                    cells.rect(x: x, y: cy, width: barWidth, height: cell + 0.5, style: SVGStyle(fill: color))
                }
            }
            g.rect(x: x, y: top, width: barWidth, height: barHeight,
                   style: SVGStyle(stroke: RGBColor(hex: 0x888888), strokeWidth: 0.5, crispEdges: true))
            let labelStyle = SVGTextStyle(size: fontSize, color: .textDark)
            for tick in ticks(height: barHeight) {
                guard let p = scale.position(of: tick.value) else { continue }
                let ty = top + barHeight * (1 - p)
                g.line(x1: x + barWidth, y1: ty, x2: x + barWidth + Axis.tickLength, y2: ty,
                       style: SVGStyle(stroke: .axis, crispEdges: true))
                g.text(tick.label, x: x + barWidth + Axis.tickLength + Axis.labelGap, y: ty, style: labelStyle,
                       baseline: .middle)
            }
        }
    }
}
