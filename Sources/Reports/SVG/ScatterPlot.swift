import Foundation
import Mechanics

/// Points (x, y), optionally coloured by category with a legend.
///
/// **Many points.** At most ``maxPoints`` (default 20 000) are drawn. Beyond that each point is
/// kept independently with probability `maxPoints / n`, decided by a fixed hash of its index
/// (SplitMix64), so category proportions are preserved, the same input always gives the same
/// picture, and the subtitle says "showing m of n points". Points are also drawn in that
/// hashed order rather than category by category, so no category hides under another. For
/// hundreds of thousands of points a ``DensityPlot`` usually tells more.
///
/// Point size and opacity default to values that suit the number drawn (larger and solid for
/// a few, smaller and translucent for thousands).
public struct ScatterPlot: SVGFigure {
    public var x: [Double]
    public var y: [Double]
    /// Category index of each point (into ``categoryNames``), or nil for one colour.
    public var categories: [Int]?
    public var categoryNames: [String]
    /// Colour per category; nil uses ``CategoricalPalette``.
    public var categoryColors: [RGBColor]?
    /// Colour of all points when there are no categories.
    public var color: RGBColor = CategoricalPalette.color(0)
    public var options: PlotOptions
    /// At most about this many points are drawn (see the type's notes on thinning).
    public var maxPoints = 20_000
    /// Radius in pixels; nil picks one from the number of points drawn.
    public var pointRadius: Double?
    /// Fill opacity; nil picks one from the number of points drawn.
    public var pointOpacity: Double?
    /// Draw the identity y = x (dashed).
    public var identityLine = false
    /// Make the plot area square with the same ticks on both axes; nil: square exactly when
    /// ``identityLine`` is on (and both axes are of the same kind).
    public var squarePlot: Bool?
    /// Other lines (fits, references).
    public var lines: [OverlayLine] = []
    /// Show the number of points of each category in the legend: "B cell (1,204)".
    public var legendCounts = true
    /// A `<title>` tooltip per point ("category: x, y"); off by default to keep files small.
    public var tooltips = false
    /// Seed of the thinning hash.
    public var seed: UInt64 = 0

    /// Points in one colour.
    public init(x: [Double], y: [Double], options: PlotOptions = PlotOptions()) {
        precondition(x.count == y.count, "x and y must have the same length")
        self.x = x
        self.y = y
        categories = nil
        categoryNames = []
        self.options = options
    }

    /// Points with category indices into `categoryNames`.
    public init(x: [Double], y: [Double], categories: [Int], categoryNames: [String],
                options: PlotOptions = PlotOptions()) {
        precondition(x.count == y.count && x.count == categories.count, "x, y and categories must have the same length")
        self.x = x
        self.y = y
        self.categories = categories
        self.categoryNames = categoryNames
        self.options = options
    }

    /// Points labelled by name. Categories are ordered by size (largest first, ties by name)
    /// so the most common ones get the most distinct colours.
    public init(x: [Double], y: [Double], labels: [String], options: PlotOptions = PlotOptions()) {
        precondition(x.count == y.count && x.count == labels.count, "x, y and labels must have the same length")
        var counts: [String: Int] = [:]
        for l in labels { counts[l, default: 0] += 1 }
        let names = counts.keys.sorted { (counts[$0]!, $1) > (counts[$1]!, $0) }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        self.init(x: x, y: y, categories: labels.map { index[$0]! }, categoryNames: names, options: options)
    }

    /// Indices of the points drawn, in drawing order (see the type's notes).
    public func drawnIndices() -> [Int] {
        let n = x.count
        let keep = n > maxPoints ? Double(maxPoints) / Double(n) : 1
        let threshold = keep >= 1 ? UInt64.max : UInt64(keep * 18_446_744_073_709_551_615.0)
        var chosen: [(hash: UInt64, index: Int)] = []
        chosen.reserveCapacity(min(n, maxPoints + maxPoints / 8))
        for i in 0..<n {
            let h = Self.splitMix(UInt64(i) &+ seed &* 0x9E37_79B9_7F4A_7C15)
            if h <= threshold { chosen.append((h, i)) }
        }
        if categories != nil { chosen.sort { $0.hash < $1.hash } }
        return chosen.map(\.index)
    }

    /// One SplitMix64 step from state `v`: SplitMix64's mixer of `v` plus its increment.
    static func splitMix(_ v: UInt64) -> UInt64 {
        SplitMix64.mix(v &+ 0x9E37_79B9_7F4A_7C15)
    }

    private func colorOf(category c: Int) -> RGBColor {
        if let categoryColors, c >= 0, c < categoryColors.count { return categoryColors[c] }
        return CategoricalPalette.color(c)
    }

    /// The plot as a standalone SVG document.
    public func render() -> String {
        let drawn = drawnIndices()
        var opts = options
        if drawn.count < x.count {
            let note = "showing \(ReportNumberFormat.integer(drawn.count)) of \(ReportNumberFormat.integer(x.count)) points"
            opts.subtitle = opts.subtitle.map { $0 + " · " + note } ?? note
        }
        let n = drawn.count
        let radius = pointRadius ?? (n <= 300 ? 3.5 : n <= 3_000 ? 2.5 : n <= 20_000 ? 1.8 : 1.4)
        let opacity = pointOpacity ?? (n <= 300 ? 0.9 : n <= 3_000 ? 0.75 : 0.6)

        var legend: [LegendEntry] = []
        if let categories {
            var counts = [Int](repeating: 0, count: categoryNames.count)
            for c in categories where c >= 0 && c < counts.count { counts[c] += 1 }
            for (i, name) in categoryNames.enumerated() {
                let label = legendCounts ? "\(name) (\(ReportNumberFormat.integer(counts[i])))" : name
                legend.append(LegendEntry(label, swatch: .point(colorOf(category: i))))
            }
        }
        let overlays = lines + (identityLine ? [OverlayLine.identity()] : [])
        legend += overlays.compactMap(\.legendEntry)

        // Fit the axes to all points (not only those drawn) and, with the identity line, make
        // both axes cover the same range so y = x is the diagonal.
        var xData = Scale.dataRange(x, kind: opts.xScale)
        var yData = Scale.dataRange(y, kind: opts.yScale)
        if identityLine, let xd = xData, let yd = yData, opts.xScale == opts.yScale {
            let joint = min(xd.lowerBound, yd.lowerBound)...max(xd.upperBound, yd.upperBound)
            xData = joint
            yData = joint
        }
        let frame = XYFrame(options: opts, xData: xData, yData: yData, xPolicy: .padded(0.04), yPolicy: .padded(0.04),
                            legend: legend, square: squarePlot ?? (identityLine && opts.xScale == opts.yScale))
        var c = frame.chrome.canvas()
        frame.drawGrid(on: &c)
        let xs = frame.x.scale, ys = frame.y.scale
        frame.drawClipped(on: &c, cssClass: "points", outset: radius) { g in
            let r = radius
            if let categories {
                g.group(style: SVGStyle(fillOpacity: opacity)) { pts in
                    for i in drawn {
                        let px = xs(x[i]), py = ys(y[i])
                        guard px.isFinite, py.isFinite else { continue }
                        let cat = categories[i]
                        let tip = tooltips
                            ? "\(cat >= 0 && cat < categoryNames.count ? categoryNames[cat] : "?"): \(TickFormatter.compact(x[i])), \(TickFormatter.compact(y[i]))"
                            : nil
                        pts.circle(cx: px, cy: py, r: r, style: SVGStyle(fill: colorOf(category: cat)), title: tip)
                    }
                }
            } else {
                g.group(style: SVGStyle(fill: color, fillOpacity: opacity)) { pts in
                    for i in drawn {
                        let px = xs(x[i]), py = ys(y[i])
                        guard px.isFinite, py.isFinite else { continue }
                        let tip = tooltips ? "\(TickFormatter.compact(x[i])), \(TickFormatter.compact(y[i]))" : nil
                        pts.raw(circleMarkup(px, py, r, tip))
                    }
                }
            }
            for line in overlays { line.draw(on: &g, x: xs, y: ys, plot: frame.plot, fontSize: opts.fontSize) }
        }
        frame.drawDecorations(on: &c)
        return c.render(title: options.title)
    }

    /// A circle that inherits its fill from the enclosing group.
    private func circleMarkup(_ x: Double, _ y: Double, _ r: Double, _ tip: String?) -> String {
        let head = "<circle cx=\"\(SVGNumber.format(x))\" cy=\"\(SVGNumber.format(y))\" r=\"\(SVGNumber.format(r))\""
        guard let tip else { return head + "/>" }
        return head + "><title>\(XMLEscaping.escape(tip))</title></circle>"
    }
}
