import Foundation

/// Horizontal bars with category labels on the left and values at the bar ends, e.g. F1 per
/// cell type.
///
/// The value axis is at the bottom and includes 0. If `options.height` is too small to give
/// every bar a readable row (1.9 × the font size), the figure grows taller; the rendered
/// height is ``renderedHeight``.
public struct BarChart: SVGFigure {
    public var labels: [String]
    public var values: [Double]
    /// One colour per bar; nil draws every bar in ``color``.
    public var colors: [RGBColor]?
    public var color: RGBColor = CategoricalPalette.color(0)
    /// `options.xLabel` titles the value axis; `options.yLabel` the category axis.
    public var options: PlotOptions
    /// Fixed value-axis range, e.g. `0...1` for scores; nil fits the data (and 0).
    public var valueRange: ClosedRange<Double>?
    /// Write each value at the end of its bar.
    public var showValues = true
    /// Decimals of the value labels; nil chooses from the largest value (2 for values below 1,
    /// 1 below 10, 0 above).
    public var valueDecimals: Int?
    /// Largest value at the top.
    public var sortDescending = false

    /// One bar per label, in the given order (see ``sortDescending``).
    public init(labels: [String], values: [Double], options: PlotOptions = PlotOptions()) {
        precondition(labels.count == values.count, "one label per value")
        self.labels = labels
        self.values = values
        self.options = options
    }

    private var rowHeight: Double { (options.fontSize * 1.9).rounded() }

    private var ordered: [(label: String, value: Double, color: RGBColor)] {
        var rows = values.indices.map { i in
            (labels[i], values[i], colors.flatMap { i < $0.count ? $0[i] : nil } ?? color)
        }
        if sortDescending {
            rows = rows.enumerated().sorted { a, b in
                let va = a.element.1.isNaN ? -Double.infinity : a.element.1
                let vb = b.element.1.isNaN ? -Double.infinity : b.element.1
                return va != vb ? va > vb : a.offset < b.offset
            }.map(\.element)
        }
        return rows.map { (label: $0.0, value: $0.1, color: $0.2) }
    }

    private var decimals: Int {
        if let valueDecimals { return valueDecimals }
        let m = values.filter(\.isFinite).map(abs).max() ?? 0
        guard m > 0 else { return 0 }
        return min(max(1 - Int(floor(log10(m))), 0), 6)
    }

    /// The height the figure is drawn at (at least `options.height`).
    public var renderedHeight: Double {
        let chrome = PlotChrome(options: options)
        let fs = options.fontSize
        var bottom = Axis.tickLength + Axis.labelGap + fs + PlotChrome.outerPadding
        if options.xLabel?.isEmpty == false { bottom += Axis.titleGap + (fs * 1.1).rounded() * 1.15 }
        return max(options.height, chrome.plotTop + Double(values.count) * rowHeight + bottom)
    }

    /// The chart as a standalone SVG document, ``renderedHeight`` tall.
    public func render() -> String {
        let rows = ordered
        let fs = options.fontSize
        let pad = PlotChrome.outerPadding
        let chrome = PlotChrome(options: options)
        let height = renderedHeight
        var opts = options
        opts.height = height

        let maxLabelWidth = min(rows.map { TextMetrics.width($0.label, size: fs) }.max() ?? 0, options.width * 0.35)
        let yTitleWidth = options.yLabel?.isEmpty == false ? (fs * 1.1).rounded() + Axis.titleGap : 0
        let left = pad + yTitleWidth + maxLabelWidth + 8
        let valueTexts = rows.map { $0.value.isFinite ? ReportNumberFormat.fixed($0.value, decimals: decimals) : "—" }
        let valueRoom = showValues ? (valueTexts.map { TextMetrics.width($0, size: fs) }.max() ?? 0) + 8 : 0
        let right = options.width - pad - max(valueRoom, fs)
        var bottomThickness = Axis.tickLength + Axis.labelGap + fs
        if options.xLabel?.isEmpty == false { bottomThickness += Axis.titleGap + (fs * 1.1).rounded() * 1.15 }
        let top = chrome.plotTop
        let plotBottom = height - pad - bottomThickness

        let finite = values.filter(\.isFinite)
        let data = min(0, finite.min() ?? 0)...max(0, finite.max() ?? 1)
        let axis = Axis.fitted(edge: .bottom, kind: .linear, data: data, fixed: valueRange, policy: .nice,
                               pixels: (left, right), title: options.xLabel, fontSize: fs, grid: options.grid)
        let plot = PlotRect(x: left, y: top, width: right - left, height: plotBottom - top)
        let xs = axis.scale
        let row = rows.isEmpty ? 0 : plot.height / Double(rows.count)
        let bar = min(row * 0.72, fs * 1.6)

        var c = PlotChrome(options: opts).canvas()
        axis.drawGrid(on: &c, plot: plot)
        let zero = xs(min(max(0, xs.domainLower), xs.domainUpper))
        c.group(cssClass: "bars") { g in
            for (i, r) in rows.enumerated() {
                let cy = plot.y + (Double(i) + 0.5) * row
                let label = TextMetrics.truncate(r.label, toWidth: maxLabelWidth, size: fs)
                g.text(label, x: left - 8, y: cy, style: SVGTextStyle(size: fs), anchor: .end, baseline: .middle,
                       title: label == r.label ? nil : r.label)
                guard r.value.isFinite else {
                    if showValues {
                        g.text("—", x: zero + 4, y: cy, style: SVGTextStyle(size: fs, color: .textMuted), baseline: .middle)
                    }
                    continue
                }
                let end = min(max(xs(r.value), plot.x), plot.maxX)
                g.rect(x: min(zero, end), y: cy - bar / 2, width: abs(end - zero), height: bar,
                       style: SVGStyle(fill: r.color, crispEdges: true),
                       title: "\(r.label): \(valueTexts[i])")
                if showValues {
                    if r.value >= 0 {
                        g.text(valueTexts[i], x: end + 4, y: cy, style: SVGTextStyle(size: fs), baseline: .middle)
                    } else {
                        g.text(valueTexts[i], x: zero + 4, y: cy, style: SVGTextStyle(size: fs), baseline: .middle)
                    }
                }
            }
        }
        axis.draw(on: &c, plot: plot)
        // The category axis: a plain line at zero when the values have both signs, else at the left.
        let baseX = xs.domainLower < 0 ? zero : plot.x
        c.line(x1: baseX, y1: plot.y, x2: baseX, y2: plot.maxY, style: SVGStyle(stroke: .axis, crispEdges: true))
        if let yLabel = options.yLabel, !yLabel.isEmpty {
            let t = TextMetrics.truncate(yLabel, toWidth: plot.height, size: (fs * 1.1).rounded())
            c.text(t, x: pad, y: plot.midY, style: SVGTextStyle(size: (fs * 1.1).rounded()), anchor: .middle,
                   baseline: .top, rotation: -90, title: t == yLabel ? nil : yLabel)
        }
        chrome.drawTitles(on: &c)
        return c.render(title: options.title)
    }
}
