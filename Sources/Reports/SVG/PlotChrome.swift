/// Layout and drawing shared by all charts: background, title block, and the column to the
/// right of the plot that holds the colour bar, the legend and notes.
struct PlotChrome {
    static let outerPadding = 12.0
    static let columnGap = 18.0
    static let blockGap = 16.0

    var options: PlotOptions

    /// Height of the title and subtitle lines (0 without them), including the gap below.
    var titleBlockHeight: Double {
        var h = 0.0
        if options.title?.isEmpty == false { h += options.titleSize * 1.25 }
        if options.subtitle?.isEmpty == false { h += options.fontSize * 1.45 }
        return h > 0 ? h + 8 : 0
    }

    /// The top of the plot area (room for half a tick label sticking out above it).
    var plotTop: Double { Self.outerPadding + titleBlockHeight + (options.fontSize * 0.6).rounded() }

    /// A new canvas with background.
    func canvas(height: Double? = nil) -> SVGCanvas {
        var c = SVGCanvas(width: options.width, height: height ?? options.height, fontFamily: options.fontFamily)
        if let bg = options.background {
            c.rect(x: 0, y: 0, width: options.width, height: height ?? options.height, style: .filled(bg))
        }
        return c
    }

    /// Title and subtitle, left-aligned at `x` (by default the figure's left padding).
    func drawTitles(on canvas: inout SVGCanvas, x: Double = PlotChrome.outerPadding) {
        var y = Self.outerPadding
        let maxWidth = options.width - x - Self.outerPadding
        if let title = options.title, !title.isEmpty {
            let t = TextMetrics.truncate(title, toWidth: maxWidth, size: options.titleSize, bold: true)
            canvas.text(t, x: x, y: y, style: SVGTextStyle(size: options.titleSize, bold: true), baseline: .top,
                        title: t == title ? nil : title)
            y += options.titleSize * 1.25
        }
        if let sub = options.subtitle, !sub.isEmpty {
            let t = TextMetrics.truncate(sub, toWidth: maxWidth, size: options.fontSize)
            canvas.text(t, x: x, y: y + 2, style: SVGTextStyle(size: options.fontSize, color: .textMuted),
                        baseline: .top, title: t == sub ? nil : sub)
        }
    }
}

/// The column to the right of a plot: colour bar, then legend, then notes, top-aligned with
/// the plot area. Its width is measured first so the plot can take the rest.
struct SidePanel {
    var colorBar: ColorBar?
    var legend: LegendBlock?
    var notes: [String]
    var fontSize: Double
    /// No wider than this (labels are shortened beyond it).
    var maxWidth: Double

    var isEmpty: Bool {
        colorBar == nil && (legend?.entries.isEmpty ?? true) && notes.isEmpty
    }

    func colorBarHeight(available: Double) -> Double {
        min(max(available * 0.5, 80), 200)
    }

    /// Width the column needs for a plot `plotHeight` tall.
    func width(plotHeight: Double) -> Double {
        guard !isEmpty else { return 0 }
        var w = 0.0
        if let colorBar { w = max(w, colorBar.width(height: colorBarHeight(available: plotHeight))) }
        if let legend, !legend.entries.isEmpty {
            w = max(w, legend.size(maxHeight: remainingHeight(plotHeight: plotHeight, afterColorBar: true)).width)
        }
        for n in notes { w = max(w, TextMetrics.width(n, size: fontSize)) }
        return min(w, maxWidth)
    }

    private var notesHeight: Double {
        notes.isEmpty ? 0 : Double(notes.count) * (fontSize * 1.45).rounded() + PlotChrome.blockGap
    }

    private func remainingHeight(plotHeight: Double, afterColorBar: Bool) -> Double {
        var h = plotHeight - notesHeight
        if let colorBar, afterColorBar {
            h -= colorBar.totalHeight(barHeight: colorBarHeight(available: plotHeight)) + PlotChrome.blockGap
        }
        return max(h, fontSize * 3)
    }

    /// Draws the column with its top-left corner at (x, y).
    func draw(on canvas: inout SVGCanvas, x: Double, y: Double, width: Double, plotHeight: Double) {
        var top = y
        if let colorBar {
            let bh = colorBarHeight(available: plotHeight)
            colorBar.draw(on: &canvas, x: x, y: top, barHeight: bh, maxWidth: width)
            top += colorBar.totalHeight(barHeight: bh) + PlotChrome.blockGap
        }
        if var legend, !legend.entries.isEmpty {
            legend.maxWidth = width
            let maxH = remainingHeight(plotHeight: plotHeight, afterColorBar: true)
            legend.draw(on: &canvas, x: x, y: top, maxHeight: maxH)
            top += legend.size(maxHeight: maxH).height + PlotChrome.blockGap
        }
        if !notes.isEmpty {
            let line = (fontSize * 1.45).rounded()
            canvas.group(cssClass: "notes") { g in
                for (i, n) in notes.enumerated() {
                    let t = TextMetrics.truncate(n, toWidth: width, size: fontSize)
                    g.text(t, x: x, y: top + Double(i) * line + line / 2,
                           style: SVGTextStyle(size: fontSize, color: .textMuted), baseline: .middle,
                           title: t == n ? nil : n)
                }
            }
        }
    }
}
