/// Settings shared by every plot: size, titles, axes, legend.
///
/// Sizes are CSS pixels. The defaults give a 680 × 440 figure with 12 px tick labels, 13 px
/// axis titles and a 16 px bold title — readable when shown at 100 % on a page or projected.
public struct PlotOptions: Sendable {
    public var width: Double = 680
    public var height: Double = 440
    /// Bold title above the plot.
    public var title: String?
    /// A second, grey line under the title (sample size, data set, run).
    public var subtitle: String?
    public var xLabel: String?
    public var yLabel: String?
    /// Tick-label size in pixels; titles and legends scale with it.
    public var fontSize: Double = 12
    public var fontFamily: String = SVGCanvas.defaultFontFamily
    /// Light grid lines at the major ticks.
    public var grid: Bool = true
    public var xScale: ScaleKind = .linear
    public var yScale: ScaleKind = .linear
    /// Fixed axis ranges; nil fits them to the data.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var legendPosition: LegendPosition = .right
    /// Short lines of text (fit statistics, sample sizes) shown in the column to the right of
    /// the plot, under the legend; they never cover data.
    public var notes: [String] = []
    /// Figure background; nil leaves it transparent.
    public var background: RGBColor? = .white

    /// Options with the most used settings; set the others as properties.
    public init(width: Double = 680, height: Double = 440, title: String? = nil, subtitle: String? = nil,
                xLabel: String? = nil, yLabel: String? = nil) {
        self.width = width
        self.height = height
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    var titleSize: Double { (fontSize * 1.35).rounded() }
    var legendFontSize: Double { fontSize }
}
