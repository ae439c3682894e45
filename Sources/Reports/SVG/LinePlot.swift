/// One or more lines (x, y) with a legend: training and validation loss, per-group curves.
///
/// Non-finite y values (and values ≤ 0 on a log axis) break a line rather than drop to zero.
public struct LinePlot: SVGFigure {
    /// One line.
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        /// nil takes the next ``CategoricalPalette`` colour.
        public var color: RGBColor?
        public var dash: [Double]?
        public var width: Double
        /// Draw a dot at each point (nil: the plot's ``LinePlot/markers`` setting).
        public var markers: Bool?

        /// A line through (`x[i]`, `y[i]`), in the order given.
        public init(name: String, x: [Double], y: [Double], color: RGBColor? = nil, dash: [Double]? = nil,
                    width: Double = 2, markers: Bool? = nil) {
            precondition(x.count == y.count, "x and y must have the same length")
            self.name = name
            self.x = x
            self.y = y
            self.color = color
            self.dash = dash
            self.width = width
            self.markers = markers
        }

        /// y against 0, 1, 2, … (e.g. a loss per epoch).
        public init(name: String, y: [Double], color: RGBColor? = nil, dash: [Double]? = nil, markers: Bool? = nil) {
            self.init(name: name, x: y.indices.map(Double.init), y: y, color: color, dash: dash, markers: markers)
        }
    }

    public var series: [Series]
    public var options: PlotOptions
    /// Dots at the data points of every series (unless a series says otherwise).
    public var markers = false
    /// Show the legend even for a single series.
    public var legendForSingleSeries = false
    /// Extra lines (references, fits) drawn over the series.
    public var lines: [OverlayLine] = []

    /// Lines for `series`, coloured in order from ``CategoricalPalette`` unless they set a colour.
    public init(series: [Series], options: PlotOptions = PlotOptions()) {
        self.series = series
        self.options = options
    }

    /// The plot as a standalone SVG document.
    public func render() -> String {
        let colors = series.enumerated().map { $1.color ?? CategoricalPalette.color($0) }
        var legend: [LegendEntry] = []
        if series.count > 1 || legendForSingleSeries {
            for (s, color) in zip(series, colors) {
                let withMarkers = s.markers ?? markers
                legend.append(LegendEntry(s.name, swatch: withMarkers ? .lineAndPoint(color, dash: s.dash)
                                                                       : .line(color, width: s.width, dash: s.dash)))
            }
        }
        legend += lines.compactMap(\.legendEntry)
        let xData = Scale.dataRange(series.flatMap { s in zip(s.x, s.y).filter { $0.1.isFinite }.map(\.0) },
                                    kind: options.xScale)
        let yData = Scale.dataRange(series.flatMap(\.y), kind: options.yScale)
        let frame = XYFrame(options: options, xData: xData, yData: yData, xPolicy: .nice, yPolicy: .nice,
                            legend: legend)
        var c = frame.chrome.canvas()
        frame.drawGrid(on: &c)
        let xs = frame.x.scale, ys = frame.y.scale
        let outset = (series.map { ($0.markers ?? markers) ? max(2.5, $0.width + 1) + 1 : $0.width / 2 }.max() ?? 1)
        frame.drawClipped(on: &c, cssClass: "lines", outset: outset) { g in
            for (s, color) in zip(series, colors) {
                g.group(cssClass: "series", title: s.name) { sg in
                    var current: [(x: Double, y: Double)] = []
                    var points: [(x: Double, y: Double)] = []
                    let style = SVGStyle(stroke: color, strokeWidth: s.width, dash: s.dash, rounded: s.dash == nil)
                    for (x, y) in zip(s.x, s.y) {
                        let px = xs(x), py = ys(y)
                        if px.isFinite && py.isFinite {
                            current.append((px, py))
                            points.append((px, py))
                        } else {
                            sg.polyline(current, style: style)
                            current = []
                        }
                    }
                    sg.polyline(current, style: style)
                    if s.markers ?? markers {
                        let r = max(2.5, s.width + 1)
                        let ms = SVGStyle(fill: color, stroke: .white, strokeWidth: 1)
                        for p in points { sg.circle(cx: p.x, cy: p.y, r: r, style: ms) }
                    }
                }
            }
            for line in lines { line.draw(on: &g, x: xs, y: ys, plot: frame.plot, fontSize: options.fontSize) }
        }
        frame.drawDecorations(on: &c)
        return c.render(title: options.title)
    }
}
