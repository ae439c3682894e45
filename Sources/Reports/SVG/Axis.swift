import Foundation

/// One axis of a chart: scale, ticks, tick labels, title; draws itself and its grid lines.
///
/// Make one with ``fitted(edge:kind:data:fixed:policy:pixels:title:fontSize:grid:)``, which
/// picks the range and a tick count that leaves room between labels; a hand-made tick list
/// can be given to ``init(edge:scale:ticks:labels:minorTicks:title:fontSize:grid:)``.
public struct Axis: Sendable {
    /// The side of the plot area the axis runs along.
    public enum Edge: Sendable, Equatable {
        case bottom, left, top, right

        var isHorizontal: Bool { self == .bottom || self == .top }
    }

    public var edge: Edge
    public var scale: Scale
    public var ticks: [Double]
    public var labels: [String]
    public var minorTicks: [Double]
    public var title: String?
    /// Size of tick labels in pixels; the title is 10 % larger.
    public var fontSize: Double
    /// Draw light grid lines across the plot at each major tick.
    public var grid: Bool

    /// Length of major tick marks, outward.
    public static let tickLength = 5.0
    /// Space between a tick mark and its label.
    public static let labelGap = 3.0
    /// Space between tick labels and the axis title.
    public static let titleGap = 8.0

    /// An axis with ticks chosen by the caller (one label per tick).
    public init(edge: Edge, scale: Scale, ticks: [Double], labels: [String], minorTicks: [Double] = [],
                title: String? = nil, fontSize: Double = 12, grid: Bool = true) {
        precondition(ticks.count == labels.count, "one label per tick")
        self.edge = edge
        self.scale = scale
        self.ticks = ticks
        self.labels = labels
        self.minorTicks = minorTicks
        self.title = title
        self.fontSize = fontSize
        self.grid = grid
    }

    /// An axis fitted to data along `pixels` (for vertical axes: bottom pixel first).
    ///
    /// - Parameters:
    ///   - data: the range of the data; nil gives 0…1 (or 1…10 on a log axis).
    ///   - fixed: a range chosen by the caller, kept exactly (ticks inside).
    ///   - policy: how to widen `data` (ignored with `fixed`).
    ///   - targetCount: the tick count to aim for first (default ``defaultTickCount(edge:length:)``).
    /// The tick count starts at one label per ~90 px (horizontal) or ~50 px (vertical) and is
    /// lowered until neighbouring labels keep at least 12 px (horizontal) or one line
    /// (vertical) apart.
    public static func fitted(edge: Edge, kind: ScaleKind = .linear, data: ClosedRange<Double>?,
                              fixed: ClosedRange<Double>? = nil, policy: AxisRangePolicy = .nice,
                              pixels: (Double, Double), title: String? = nil, fontSize: Double = 12,
                              grid: Bool = true, targetCount: Int? = nil) -> Axis {
        var target = targetCount ?? defaultTickCount(edge: edge, length: abs(pixels.1 - pixels.0))
        var best: Axis?
        while true {
            let axis = make(edge: edge, kind: kind, data: data, fixed: fixed, policy: policy, pixels: pixels,
                            title: title, fontSize: fontSize, grid: grid, target: target)
            best = axis
            if target <= 2 || !axis.labelsCollide() { break }
            target -= 1
        }
        return best!
    }

    /// The tick count aimed for first: one per ~90 px along a horizontal axis, one per ~50 px
    /// along a vertical one, between 3 and 11.
    public static func defaultTickCount(edge: Edge, length: Double) -> Int {
        edge.isHorizontal
            ? Swift.min(Swift.max(Int(length / 90) + 1, 3), 11)
            : Swift.min(Swift.max(Int(length / 50) + 1, 3), 11)
    }

    private static func make(edge: Edge, kind: ScaleKind, data: ClosedRange<Double>?, fixed: ClosedRange<Double>?,
                             policy: AxisRangePolicy, pixels: (Double, Double), title: String?,
                             fontSize: Double, grid: Bool, target: Int) -> Axis {
        let ticks: TickSet
        var domain: ClosedRange<Double>
        switch kind {
        case .linear:
            let base = fixed ?? data ?? 0...1
            let (lo, hi) = NiceTicks.usableRange(base.lowerBound, base.upperBound)
            if fixed != nil {
                ticks = NiceTicks.linear(min: lo, max: hi, count: target, expand: false)
                domain = lo...hi
            } else {
                switch policy {
                case .nice:
                    ticks = NiceTicks.linear(min: lo, max: hi, count: target, expand: true)
                    domain = ticks.lower...ticks.upper
                case .padded(let p):
                    let pad = (hi - lo) * p
                    ticks = NiceTicks.linear(min: lo - pad, max: hi + pad, count: target, expand: false)
                    domain = (lo - pad)...(hi + pad)
                case .exact:
                    ticks = NiceTicks.linear(min: lo, max: hi, count: target, expand: false)
                    domain = lo...hi
                }
            }
        case .log10:
            var base = fixed ?? data ?? 1...10
            if base.lowerBound <= 0 { base = Swift.max(base.upperBound / 1e3, 1e-300)...Swift.max(base.upperBound, 1e-297) }
            var lo = base.lowerBound, hi = base.upperBound
            if hi / lo < 1.000001 { lo /= 2; hi *= 2 }
            if fixed == nil, case .padded(let p) = policy {
                let span = Foundation.log10(hi / lo)
                lo /= pow(10, span * p)
                hi *= pow(10, span * p)
            }
            let expand = fixed == nil && policy == .nice
            ticks = NiceTicks.log10(min: lo, max: hi, maxCount: target, expand: expand)
            domain = expand ? ticks.lower...ticks.upper : lo...hi
        }
        if domain.lowerBound == domain.upperBound { domain = domain.lowerBound...(domain.upperBound + 1) }
        let scale = Scale(kind: kind, domain: domain, range: pixels)
        let labels = ticks.isLog
            ? TickFormatter.logLabels(ticks.values)
            : TickFormatter.labels(ticks.values, step: ticks.step)
        return Axis(edge: edge, scale: scale, ticks: ticks.values, labels: labels, minorTicks: ticks.minor,
                    title: title, fontSize: fontSize, grid: grid)
    }

    /// Whether neighbouring tick labels would touch.
    func labelsCollide() -> Bool {
        guard ticks.count >= 2 else { return false }
        let positions = ticks.map { scale($0) }
        for i in 1..<ticks.count {
            let gap = abs(positions[i] - positions[i - 1])
            if edge.isHorizontal {
                let needed = (TextMetrics.width(labels[i], size: fontSize) + TextMetrics.width(labels[i - 1], size: fontSize)) / 2 + 12
                if gap < needed { return true }
            } else if gap < fontSize * 1.25 {
                return true
            }
        }
        return false
    }

    var titleSize: Double { (fontSize * 1.1).rounded() }

    /// Widest tick label in pixels.
    public var maxLabelWidth: Double {
        labels.map { TextMetrics.width($0, size: fontSize) }.max() ?? 0
    }

    /// Room the axis needs outside the plot area: height for horizontal axes, width for
    /// vertical ones (tick marks, labels and title).
    public var thickness: Double {
        let labelExtent = edge.isHorizontal ? fontSize : maxLabelWidth
        var t = Self.tickLength + Self.labelGap + labelExtent
        if let title, !title.isEmpty { t += Self.titleGap + titleSize * (edge.isHorizontal ? 1.15 : 1.0) }
        return t
    }

    /// Pixel positions of the ticks that fall inside the domain.
    private var visibleTicks: [(value: Double, pixel: Double, label: String)] {
        zip(ticks, labels).compactMap { v, l in scale.contains(v) ? (v, scale(v), l) : nil }
    }

    /// Grid lines across `plot` at each major tick (drawn before the data).
    public func drawGrid(on canvas: inout SVGCanvas, plot: PlotRect) {
        guard grid else { return }
        let style = SVGStyle(stroke: .grid, strokeWidth: 1, crispEdges: true)
        for t in visibleTicks {
            if edge.isHorizontal {
                canvas.line(x1: t.pixel, y1: plot.y, x2: t.pixel, y2: plot.maxY, style: style)
            } else {
                canvas.line(x1: plot.x, y1: t.pixel, x2: plot.maxX, y2: t.pixel, style: style)
            }
        }
    }

    /// The axis line, tick marks, labels and title along the matching edge of `plot`.
    public func draw(on canvas: inout SVGCanvas, plot: PlotRect, line: Bool = true) {
        let axisStyle = SVGStyle(stroke: .axis, strokeWidth: 1, crispEdges: true)
        let labelStyle = SVGTextStyle(size: fontSize, color: .textDark)
        let titleStyle = SVGTextStyle(size: titleSize, color: .textDark)
        let tl = Self.tickLength
        let figureWidth = canvas.width, figureHeight = canvas.height
        canvas.group(cssClass: "axis") { g in
            switch edge {
            case .bottom, .top:
                let y = edge == .bottom ? plot.maxY : plot.y
                let dir = edge == .bottom ? 1.0 : -1.0
                if line { g.line(x1: plot.x, y1: y, x2: plot.maxX, y2: y, style: axisStyle) }
                for m in minorTicks where scale.contains(m) {
                    let x = scale(m)
                    g.line(x1: x, y1: y, x2: x, y2: y + dir * tl * 0.6, style: axisStyle)
                }
                for t in visibleTicks {
                    g.line(x1: t.pixel, y1: y, x2: t.pixel, y2: y + dir * tl, style: axisStyle)
                    let ly = y + dir * (tl + Self.labelGap)
                    g.text(t.label, x: t.pixel, y: ly, style: labelStyle, anchor: .middle,
                           baseline: edge == .bottom ? .top : .alphabetic)
                }
                if let title, !title.isEmpty {
                    let ty = edge == .bottom
                        ? y + tl + Self.labelGap + fontSize + Self.titleGap
                        : y - tl - Self.labelGap - fontSize - Self.titleGap
                    let text = TextMetrics.truncate(title, toWidth: figureWidth - 8, size: titleSize)
                    g.text(text, x: plot.midX, y: ty, style: titleStyle, anchor: .middle,
                           baseline: edge == .bottom ? .top : .alphabetic, title: text == title ? nil : title)
                }
            case .left, .right:
                let x = edge == .left ? plot.x : plot.maxX
                let dir = edge == .left ? -1.0 : 1.0
                if line { g.line(x1: x, y1: plot.y, x2: x, y2: plot.maxY, style: axisStyle) }
                for m in minorTicks where scale.contains(m) {
                    let y = scale(m)
                    g.line(x1: x, y1: y, x2: x + dir * tl * 0.6, y2: y, style: axisStyle)
                }
                for t in visibleTicks {
                    g.line(x1: x, y1: t.pixel, x2: x + dir * tl, y2: t.pixel, style: axisStyle)
                    g.text(t.label, x: x + dir * (tl + Self.labelGap), y: t.pixel, style: labelStyle,
                           anchor: edge == .left ? .end : .start, baseline: .middle)
                }
                if let title, !title.isEmpty {
                    let offset = tl + Self.labelGap + maxLabelWidth + Self.titleGap
                    let tx = x + dir * offset
                    let text = TextMetrics.truncate(title, toWidth: figureHeight - 8, size: titleSize)
                    // Rotated to read bottom to top; the baseline faces the plot on the left.
                    g.text(text, x: tx, y: plot.midY, style: titleStyle, anchor: .middle,
                           baseline: edge == .left ? .alphabetic : .top, rotation: -90,
                           title: text == title ? nil : title)
                }
            }
        }
    }
}

/// A rectangle in pixels.
public struct PlotRect: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var midX: Double { x + width / 2 }
    public var midY: Double { y + height / 2 }
}
