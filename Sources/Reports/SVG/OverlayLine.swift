import Foundation

/// A line drawn over a plot's data: a fitted model, a reference, the identity y = x.
///
/// Lines are clipped to the plot area. With `halo` a wider white line is drawn underneath so
/// the line stays visible over dense colour (heat maps, crowded scatter plots).
public struct OverlayLine: Sendable {
    /// What the line is.
    public enum Shape: Sendable {
        /// A polyline through data points.
        case points(x: [Double], y: [Double])
        /// y = intercept + slope · x, across the whole x axis.
        case linear(intercept: Double, slope: Double)
        /// y = x, where the x and y ranges overlap.
        case identity
    }

    public var shape: Shape
    /// Text for the legend; nil leaves the line out of the legend.
    public var label: String?
    public var color: RGBColor
    public var width: Double
    public var dash: [Double]?
    public var halo: Bool
    /// Also write the label on the plot, at the right end of the line (on a white outline).
    public var inlineLabel = false

    /// A line of the given shape; vermillion, 2.25 px, solid, with a white halo by default.
    public init(shape: Shape, label: String? = nil, color: RGBColor = RGBColor(hex: 0xD55E00),
                width: Double = 2.25, dash: [Double]? = nil, halo: Bool = true) {
        self.shape = shape
        self.label = label
        self.color = color
        self.width = width
        self.dash = dash
        self.halo = halo
    }

    /// A polyline through (`x[i]`, `y[i]`); non-finite points break it.
    public init(x: [Double], y: [Double], label: String? = nil, color: RGBColor = RGBColor(hex: 0xD55E00),
                width: Double = 2.25, dash: [Double]? = nil, halo: Bool = true) {
        self.init(shape: .points(x: x, y: y), label: label, color: color, width: width, dash: dash, halo: halo)
    }

    /// The straight line y = `intercept` + `slope` · x over the whole x axis. The default label
    /// is the equation, e.g. "y = 2.68 − 0.72·x".
    public static func linear(intercept: Double, slope: Double, label: String? = nil,
                              color: RGBColor = RGBColor(hex: 0xD55E00), dash: [Double]? = nil) -> OverlayLine {
        OverlayLine(shape: .linear(intercept: intercept, slope: slope),
                    label: label ?? equation(intercept: intercept, slope: slope), color: color, dash: dash)
    }

    /// The identity y = x, dashed dark grey, labelled "y = x".
    public static func identity(label: String? = "y = x", color: RGBColor = RGBColor(hex: 0x333333)) -> OverlayLine {
        OverlayLine(shape: .identity, label: label, color: color, width: 1.5, dash: [6, 4], halo: false)
    }

    /// `f` sampled at `samples` points evenly spread over `range` (evenly in log10 space when
    /// `logSpacing`, for log x axes).
    public static func function(over range: ClosedRange<Double>, samples: Int = 200, logSpacing: Bool = false,
                                label: String? = nil, color: RGBColor = RGBColor(hex: 0xD55E00),
                                dash: [Double]? = nil, _ f: (Double) -> Double) -> OverlayLine {
        let n = max(samples, 2)
        var xs: [Double] = [], ys: [Double] = []
        for i in 0..<n {
            let t = Double(i) / Double(n - 1)
            let x = logSpacing && range.lowerBound > 0
                ? pow(10, log10(range.lowerBound) + t * (log10(range.upperBound) - log10(range.lowerBound)))
                : range.lowerBound + t * (range.upperBound - range.lowerBound)
            xs.append(x)
            ys.append(f(x))
        }
        return OverlayLine(x: xs, y: ys, label: label, color: color, dash: dash)
    }

    /// "y = a + b·x" with three significant digits and proper minus signs.
    public static func equation(intercept a: Double, slope b: Double, x: String = "x") -> String {
        let sign = b < 0 ? " \u{2212} " : " + "
        return "y = " + TickFormatter.compact(round3(a)) + sign + TickFormatter.compact(round3(abs(b))) + "·" + x
    }

    private static func round3(_ v: Double) -> Double {
        guard v != 0, v.isFinite else { return v }
        let digits = 3 - Int(floor(log10(abs(v)))) - 1
        let p = pow(10, Double(digits))
        return (v * p).rounded() / p
    }

    /// The legend entry, if the line has a label.
    public var legendEntry: LegendEntry? {
        label.map { LegendEntry($0, swatch: .line(color, width: width, dash: dash)) }
    }

    /// Pixel polylines for the given scales (split where the line cannot be drawn).
    func segments(x xs: Scale, y ys: Scale) -> [[(x: Double, y: Double)]] {
        var dataX: [Double] = [], dataY: [Double] = []
        func sampled(_ lo: Double, _ hi: Double, _ f: (Double) -> Double) {
            // Straight in pixel space only for linear axes; sample otherwise.
            let n = xs.kind == .linear && ys.kind == .linear ? 2 : 256
            let a = xs.transform(lo), b = xs.transform(hi)
            for i in 0..<n {
                let x = xs.untransform(a + (b - a) * Double(i) / Double(n - 1))
                dataX.append(x)
                dataY.append(f(x))
            }
        }
        switch shape {
        case .points(let x, let y):
            dataX = x
            dataY = y
        case .linear(let a, let b):
            sampled(xs.domainLower, xs.domainUpper) { a + b * $0 }
        case .identity:
            let lo = max(xs.domainLower, ys.domainLower), hi = min(xs.domainUpper, ys.domainUpper)
            if lo < hi { sampled(lo, hi) { $0 } }
        }
        var result: [[(x: Double, y: Double)]] = []
        var current: [(x: Double, y: Double)] = []
        for (x, y) in zip(dataX, dataY) {
            let px = xs(x), py = ys(y)
            if px.isFinite && py.isFinite {
                current.append((px, py))
            } else if !current.isEmpty {
                result.append(current)
                current = []
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Draws the line (and its halo, and its inline label) with the given scales; call inside a
    /// group clipped to `plot`.
    func draw(on canvas: inout SVGCanvas, x xs: Scale, y ys: Scale, plot: PlotRect, fontSize: Double) {
        let segs = segments(x: xs, y: ys)
        canvas.group(cssClass: "overlay-line", title: label) { g in
            if halo {
                let haloStyle = SVGStyle(stroke: .white, strokeWidth: width + 3, strokeOpacity: 0.85, rounded: true)
                for s in segs { g.polyline(s, style: haloStyle) }
            }
            let style = SVGStyle(stroke: color, strokeWidth: width, dash: dash, rounded: dash == nil)
            for s in segs { g.polyline(s, style: style) }
            if inlineLabel, let label, let (end, slope) = Self.lastVisiblePoint(segs, plot: plot) {
                // The text runs left from the line's end, on the side the line moves away from:
                // above a rising line, below a falling one (in pixels y grows downwards), unless
                // that side has no room.
                var above = slope <= 0
                if above && end.y - 8 - fontSize < plot.y { above = false }
                if !above && end.y + 8 + fontSize > plot.maxY { above = true }
                let text = TextMetrics.truncate(label, toWidth: plot.width - 16, size: fontSize)
                // On a translucent white box: readable over any colour.
                let w = TextMetrics.width(text, size: fontSize), pad = 3.0
                let right = min(end.x, plot.maxX - 4 - pad)
                let top = above ? end.y - 6 - fontSize * 1.15 : end.y + 6
                g.rect(x: right - w - pad, y: top - pad / 2, width: w + 2 * pad, height: fontSize * 1.15 + pad,
                       style: SVGStyle(fill: .white, fillOpacity: 0.85), cornerRadius: 2)
                g.text(text, x: right, y: top + fontSize * 1.15 / 2,
                       style: SVGTextStyle(size: fontSize, color: color.relativeLuminance > 0.6 ? .textDark : color, bold: false),
                       anchor: .end, baseline: .middle)
            }
        }
    }

    /// The rightmost point of the line inside `plot` (where a label can go), with the pixel
    /// slope dy/dx of the line there.
    static func lastVisiblePoint(_ segments: [[(x: Double, y: Double)]], plot: PlotRect)
        -> (point: (x: Double, y: Double), slope: Double)? {
        func inside(_ p: (x: Double, y: Double)) -> Bool {
            p.x >= plot.x - 0.5 && p.x <= plot.maxX + 0.5 && p.y >= plot.y - 0.5 && p.y <= plot.maxY + 0.5
        }
        var best: (point: (x: Double, y: Double), slope: Double)?
        for seg in segments {
            for (a, b) in zip(seg, seg.dropFirst()) where b.x != a.x {
                let slope = (b.y - a.y) / (b.x - a.x)
                var candidates = [a, b].filter(inside)
                // A straight segment may leave the plot between its two samples.
                for edgeY in [plot.y, plot.maxY] where (a.y - edgeY) * (b.y - edgeY) < 0 {
                    let x = a.x + (edgeY - a.y) / (b.y - a.y) * (b.x - a.x)
                    if x >= plot.x && x <= plot.maxX { candidates.append((x, edgeY)) }
                }
                for p in candidates where best == nil || p.x > best!.point.x { best = (p, slope) }
            }
        }
        return best
    }
}
