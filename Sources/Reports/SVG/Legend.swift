/// One row of a legend: a small sample of how the series is drawn, and its label.
public struct LegendEntry: Sendable, Equatable {
    /// The sample drawn before the label.
    public enum Swatch: Sendable, Equatable {
        /// A short line (dashed if `dash` is given).
        case line(RGBColor, width: Double = 2, dash: [Double]? = nil)
        /// A dot, as in a scatter plot.
        case point(RGBColor)
        /// A line with a dot in its middle, as in a line plot with markers.
        case lineAndPoint(RGBColor, dash: [Double]? = nil)
        /// A filled square, as for bars or heat-map classes.
        case box(RGBColor)
    }

    public var label: String
    public var swatch: Swatch

    /// An entry showing `swatch` and then `label`.
    public init(_ label: String, swatch: Swatch) {
        self.label = label
        self.swatch = swatch
    }
}

/// Where a legend goes.
public enum LegendPosition: Sendable, Equatable {
    /// In a column to the right of the plot area: never covers data (the default).
    case right
    /// Inside the plot area in a corner, on a translucent white box.
    case inside(Corner)
    /// No legend.
    case hidden

    public enum Corner: Sendable, Equatable {
        case topLeft, topRight, bottomLeft, bottomRight
    }
}

/// Lays out and draws a list of legend entries (and an optional title) as one column.
///
/// Labels longer than `maxWidth` are shortened with "…" (the full text stays as a tooltip);
/// entries that do not fit `maxHeight` are replaced by a last row "… and N more".
struct LegendBlock: Sendable {
    var title: String?
    var entries: [LegendEntry]
    var fontSize: Double
    var maxWidth: Double

    static let swatchWidth = 22.0
    static let swatchGap = 6.0

    var rowHeight: Double { (fontSize * 1.5).rounded() }
    /// Rows are closer together when the entries would not fit otherwise.
    var compactRowHeight: Double { (fontSize * 1.25).rounded() }
    var titleHeight: Double { title == nil ? 0 : rowHeight }

    func rowHeight(maxHeight: Double) -> Double {
        Double(entries.count) * rowHeight + titleHeight <= maxHeight ? rowHeight : compactRowHeight
    }

    /// Entries that fit in `maxHeight`, plus the number left out.
    func visibleEntries(maxHeight: Double) -> (shown: [LegendEntry], hidden: Int) {
        let rows = Int((maxHeight - titleHeight) / rowHeight(maxHeight: maxHeight))
        if rows >= entries.count { return (entries, 0) }
        let shown = max(rows - 1, 0)
        return (Array(entries.prefix(shown)), entries.count - shown)
    }

    func size(maxHeight: Double) -> (width: Double, height: Double) {
        guard !entries.isEmpty else { return (0, 0) }
        let (shown, hidden) = visibleEntries(maxHeight: maxHeight)
        var w = 0.0
        for e in shown {
            w = max(w, Self.swatchWidth + Self.swatchGap + TextMetrics.width(e.label, size: fontSize))
        }
        if hidden > 0 { w = max(w, TextMetrics.width("… and \(hidden) more", size: fontSize)) }
        if let title { w = max(w, TextMetrics.width(title, size: fontSize, bold: true)) }
        let rows = Double(shown.count + (hidden > 0 ? 1 : 0))
        return (min(w, maxWidth), titleHeight + rows * rowHeight(maxHeight: maxHeight))
    }

    /// Draws with the top-left corner at (x, y).
    func draw(on canvas: inout SVGCanvas, x: Double, y: Double, maxHeight: Double) {
        guard !entries.isEmpty else { return }
        let (shown, hidden) = visibleEntries(maxHeight: maxHeight)
        let style = SVGTextStyle(size: fontSize, color: .textDark)
        let rowHeight = rowHeight(maxHeight: maxHeight)
        canvas.group(cssClass: "legend") { g in
            var rowY = y
            if let title {
                let t = TextMetrics.truncate(title, toWidth: maxWidth, size: fontSize, bold: true)
                g.text(t, x: x, y: rowY + rowHeight / 2, style: SVGTextStyle(size: fontSize, bold: true),
                       baseline: .middle, title: t == title ? nil : title)
                rowY += rowHeight
            }
            for entry in shown {
                let cy = rowY + rowHeight / 2
                drawSwatch(entry.swatch, on: &g, x: x, cy: cy)
                let available = maxWidth - Self.swatchWidth - Self.swatchGap
                let label = TextMetrics.truncate(entry.label, toWidth: available, size: fontSize)
                g.text(label, x: x + Self.swatchWidth + Self.swatchGap, y: cy, style: style, baseline: .middle,
                       title: label == entry.label ? nil : entry.label)
                rowY += rowHeight
            }
            if hidden > 0 {
                g.text("… and \(hidden) more", x: x, y: rowY + rowHeight / 2,
                       style: SVGTextStyle(size: fontSize, color: .textMuted), baseline: .middle)
            }
        }
    }

    private func drawSwatch(_ swatch: LegendEntry.Swatch, on g: inout SVGCanvas, x: Double, cy: Double) {
        let w = Self.swatchWidth
        switch swatch {
        case .line(let color, let width, let dash):
            g.line(x1: x, y1: cy, x2: x + w, y2: cy, style: SVGStyle(stroke: color, strokeWidth: width, dash: dash))
        case .point(let color):
            g.circle(cx: x + w / 2, cy: cy, r: min(4.5, fontSize * 0.38), style: .filled(color))
        case .lineAndPoint(let color, let dash):
            g.line(x1: x, y1: cy, x2: x + w, y2: cy, style: SVGStyle(stroke: color, strokeWidth: 2, dash: dash))
            g.circle(cx: x + w / 2, cy: cy, r: 3.5, style: SVGStyle(fill: color, stroke: .white, strokeWidth: 1))
        case .box(let color):
            let s = fontSize * 0.85
            g.rect(x: x + (w - s) / 2, y: cy - s / 2, width: s, height: s,
                   style: SVGStyle(fill: color, stroke: RGBColor(hex: 0x666666), strokeWidth: 0.5))
        }
    }
}
