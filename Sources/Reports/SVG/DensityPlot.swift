import Foundation

/// A 2-D histogram drawn as a heat map: for many points (hundreds of thousands of cells or
/// genes) where a scatter plot would be a blot.
///
/// Empty bins stay white; the others are coloured by count on a log10 scale (by default) with
/// viridis, explained by a colour bar on the right. Fitted or reference lines can be drawn on
/// top (``lines``, ``identityLine``) and appear in the legend under the colour bar.
///
/// Same-coloured neighbouring bins in a row are merged into one rectangle, so a 120 × 90 grid
/// usually needs a few thousand elements.
///
/// ```swift
/// var plot = DensityPlot(x: logRank, y: expression, nx: 120, ny: 90,
///                        options: PlotOptions(title: "Expression vs rank", xLabel: "log10(rank + 1)",
///                                             yLabel: "log1p expression"))
/// plot.lines = [.linear(intercept: 2.68, slope: -0.72)]
/// let svg = plot.render()
/// ```
public struct DensityPlot: SVGFigure {
    public var histogram: Histogram2D
    public var options: PlotOptions
    /// `.log10` (default) makes 1 and 10 000 points per bin both visible; `.linear` for weights.
    public var colorTransform: SequentialColorScale.Transform = .log10
    public var colormap: Colormap = .viridis
    /// Title of the colour bar.
    public var colorLabel: String? = "count"
    /// Lines drawn over the heat map (fits, references), with legend entries.
    public var lines: [OverlayLine] = []
    /// Also draw the identity y = x (dashed).
    public var identityLine = false
    /// Make the plot area square with the same ticks on both axes; nil: square exactly when
    /// ``identityLine`` is on (and both axes are of the same kind).
    public var squarePlot: Bool?
    /// Add a note with the number of points outside the axes when there are any.
    public var noteOutsidePoints = true

    /// From a ready histogram. Axis kinds follow the histogram's; `options.xRange`/`yRange`
    /// override the shown ranges.
    public init(histogram: Histogram2D, options: PlotOptions = PlotOptions()) {
        self.histogram = histogram
        self.options = options
        self.options.xScale = histogram.xScale
        self.options.yScale = histogram.yScale
    }

    /// From pre-binned counts: `ny` rows of `nx` values, row 0 at the lowest y, bins equally
    /// wide on the axes given by `options.xScale` / `options.yScale`.
    public init(counts: [Double], nx: Int, ny: Int, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>,
                options: PlotOptions = PlotOptions()) {
        self.init(histogram: Histogram2D(counts: counts, nx: nx, ny: ny, xRange: xRange, yRange: yRange,
                                         xScale: options.xScale, yScale: options.yScale),
                  options: options)
    }

    /// Bins the points (`x[i]`, `y[i]`) into `nx` × `ny` bins over the given ranges (default:
    /// the data's range), equally wide on the axes given by `options.xScale` / `yScale`.
    public init(x: [Double], y: [Double], nx: Int = 120, ny: Int = 90, xRange: ClosedRange<Double>? = nil,
                yRange: ClosedRange<Double>? = nil, options: PlotOptions = PlotOptions()) {
        self.init(histogram: Histogram2D(x: x, y: y, nx: nx, ny: ny, xRange: xRange, yRange: yRange,
                                         xScale: options.xScale, yScale: options.yScale),
                  options: options)
    }

    /// The colour scale used for the bins.
    public var colorScale: SequentialColorScale {
        let maxCount = histogram.maxCount
        switch colorTransform {
        case .log10: return .logCounts(max: maxCount, colormap: colormap)
        case .linear:
            return SequentialColorScale(lower: 0, upper: maxCount > 0 ? maxCount : 1, transform: .linear, colormap: colormap)
        }
    }

    private var allLines: [OverlayLine] { lines + (identityLine ? [.identity()] : []) }

    /// The plot as a standalone SVG document.
    public func render() -> String {
        let h = histogram
        var opts = options
        if noteOutsidePoints && h.outside > 0 {
            opts.notes.append("\(ReportNumberFormat.integer(h.outside)) points outside the axes")
        }
        let scale = colorScale
        let frame = XYFrame(options: opts, xData: h.xRange, yData: h.yRange, xPolicy: .exact, yPolicy: .exact,
                            colorBar: ColorBar(scale: scale, title: colorLabel, fontSize: opts.fontSize),
                            legend: allLines.compactMap(\.legendEntry),
                            square: squarePlot ?? (identityLine && opts.xScale == opts.yScale))
        var c = frame.chrome.canvas()
        frame.drawGrid(on: &c)
        let xs = frame.x.scale, ys = frame.y.scale
        let xEdges = (0...h.nx).map { xs(h.xEdge($0)) }
        let yEdges = (0...h.ny).map { ys(h.yEdge($0)) }
        frame.drawClipped(on: &c, cssClass: "density") { g in
            // crispEdges once for all cells: no seams between neighbours, and a smaller file.
            g.group(cssClass: "bins", style: SVGStyle(crispEdges: true)) { bins in
                for row in 0..<h.ny {
                    let top = yEdges[row + 1], bottom = yEdges[row]
                    guard top.isFinite, bottom.isFinite else { continue }
                    var col = 0
                    while col < h.nx {
                        guard let color = scale.color(for: h.count(column: col, row: row)) else { col += 1; continue }
                        var end = col + 1
                        while end < h.nx, scale.color(for: h.count(column: end, row: row)) == color { end += 1 }
                        let left = xEdges[col], right = xEdges[end]
                        if left.isFinite && right.isFinite {
                            // 0.5 px of overlap to the right and upwards hides hairline seams
                            // between neighbours at fractional device scales.
                            bins.rect(x: min(left, right), y: min(top, bottom) - 0.5, width: abs(right - left) + 0.5,
                                      height: abs(bottom - top) + 0.5, style: SVGStyle(fill: color))
                        }
                        col = end
                    }
                }
            }
            for line in allLines {
                line.draw(on: &g, x: xs, y: ys, plot: frame.plot, fontSize: opts.fontSize)
            }
        }
        frame.drawDecorations(on: &c)
        return c.render(title: options.title)
    }
}
