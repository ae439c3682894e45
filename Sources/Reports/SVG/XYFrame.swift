/// The layout of a chart with an x and a y axis: plot area, fitted axes and side column.
///
/// Built in the order the sizes depend on each other: title block and x-axis height fix the
/// plot's height; that fixes the y ticks, whose widest label fixes the left margin; the side
/// column's width fixes the right margin; that fixes the x ticks. If the last x label would
/// stick out of the figure, the plot is narrowed and the x axis fitted again.
struct XYFrame {
    var chrome: PlotChrome
    var plot: PlotRect
    var x: Axis
    var y: Axis
    var side: SidePanel
    var sideX: Double
    var sideWidth: Double
    /// A legend drawn inside the plot (``LegendPosition/inside(_:)``).
    var insideLegend: (block: LegendBlock, corner: LegendPosition.Corner)?

    init(options: PlotOptions, xData: ClosedRange<Double>?, yData: ClosedRange<Double>?,
         xPolicy: AxisRangePolicy, yPolicy: AxisRangePolicy, colorBar: ColorBar? = nil,
         legend: [LegendEntry] = [], legendTitle: String? = nil, xGrid: Bool? = nil, yGrid: Bool? = nil,
         square: Bool = false) {
        chrome = PlotChrome(options: options)
        let pad = PlotChrome.outerPadding
        let fs = options.fontSize
        let top = chrome.plotTop
        var bottomThickness = Axis.tickLength + Axis.labelGap + fs
        if options.xLabel?.isEmpty == false { bottomThickness += Axis.titleGap + (fs * 1.1).rounded() * 1.15 }
        let bottom = options.height - pad - bottomThickness
        y = Axis.fitted(edge: .left, kind: options.yScale, data: yData, fixed: options.yRange, policy: yPolicy,
                        pixels: (bottom, top), title: options.yLabel, fontSize: fs, grid: yGrid ?? options.grid)
        let left = pad + y.thickness

        var legendBlock = LegendBlock(title: legendTitle, entries: legend, fontSize: options.legendFontSize,
                                      maxWidth: options.width * 0.32)
        var sideLegend: LegendBlock?
        switch options.legendPosition {
        case .right:
            sideLegend = legend.isEmpty ? nil : legendBlock
        case .inside(let corner):
            legendBlock.maxWidth = options.width * 0.3
            insideLegend = legend.isEmpty ? nil : (legendBlock, corner)
        case .hidden:
            break
        }
        side = SidePanel(colorBar: colorBar, legend: sideLegend, notes: options.notes, fontSize: fs,
                         maxWidth: options.width * 0.32)
        sideWidth = side.width(plotHeight: bottom - top)
        var right = options.width - pad - (sideWidth > 0 ? sideWidth + PlotChrome.columnGap : 0)
        x = Axis.fitted(edge: .bottom, kind: options.xScale, data: xData, fixed: options.xRange, policy: xPolicy,
                        pixels: (left, right), title: options.xLabel, fontSize: fs, grid: xGrid ?? options.grid)
        // Half of the last tick label is centred on the plot's right edge.
        let roomRight = sideWidth > 0 ? PlotChrome.columnGap - 4 : pad
        if let lastTick = x.ticks.last, let lastLabel = x.labels.last, x.scale.contains(lastTick) {
            let overhang = TextMetrics.width(lastLabel, size: fs) / 2 - roomRight - (right - x.scale(lastTick))
            if overhang > 0 {
                right -= overhang
                x = Axis.fitted(edge: .bottom, kind: options.xScale, data: xData, fixed: options.xRange,
                                policy: xPolicy, pixels: (left, right), title: options.xLabel, fontSize: fs,
                                grid: xGrid ?? options.grid)
            }
        }
        plot = PlotRect(x: left, y: top, width: max(right - left, 10), height: max(bottom - top, 10))
        if square {
            // Equal lengths and the same tick count on both axes, so y = x runs at 45°.
            let side = min(plot.width, plot.height)
            plot = PlotRect(x: left, y: bottom - side, width: side, height: side)
            let target = Axis.defaultTickCount(edge: .bottom, length: side)
            y = Axis.fitted(edge: .left, kind: options.yScale, data: yData, fixed: options.yRange, policy: yPolicy,
                            pixels: (bottom, bottom - side), title: options.yLabel, fontSize: fs,
                            grid: yGrid ?? options.grid, targetCount: target)
            // The y labels may have changed width: keep the plot's left edge clear of them.
            let newLeft = pad + y.thickness
            plot.x = newLeft
            x = Axis.fitted(edge: .bottom, kind: options.xScale, data: xData, fixed: options.xRange, policy: xPolicy,
                            pixels: (newLeft, newLeft + side), title: options.xLabel, fontSize: fs,
                            grid: xGrid ?? options.grid, targetCount: target)
        }
        sideX = plot.maxX + PlotChrome.columnGap
    }

    /// Background grid (call before drawing data).
    func drawGrid(on canvas: inout SVGCanvas) {
        x.drawGrid(on: &canvas, plot: plot)
        y.drawGrid(on: &canvas, plot: plot)
    }

    /// Draws `content` clipped to the plot area, grown by `outset` pixels on every side (so
    /// that markers and thick lines on the edge are not cut in half).
    func drawClipped(on canvas: inout SVGCanvas, cssClass: String, outset: Double = 0,
                     _ content: (inout SVGCanvas) -> Void) {
        let clip = canvas.clipRect(x: plot.x - outset, y: plot.y - outset, width: plot.width + 2 * outset,
                                   height: plot.height + 2 * outset)
        canvas.group(cssClass: cssClass, clipPath: clip, content)
    }

    /// Axes, titles, side column and inside legend (call after drawing data).
    func drawDecorations(on canvas: inout SVGCanvas) {
        x.draw(on: &canvas, plot: plot)
        y.draw(on: &canvas, plot: plot)
        chrome.drawTitles(on: &canvas)
        if sideWidth > 0 {
            side.draw(on: &canvas, x: sideX, y: plot.y, width: sideWidth, plotHeight: plot.height)
        }
        if let (block, corner) = insideLegend {
            let inset = 8.0, padding = 6.0
            let size = block.size(maxHeight: plot.height - 2 * (inset + padding))
            let w = size.width + 2 * padding, h = size.height + 2 * padding
            let bx: Double, by: Double
            switch corner {
            case .topLeft: (bx, by) = (plot.x + inset, plot.y + inset)
            case .topRight: (bx, by) = (plot.maxX - inset - w, plot.y + inset)
            case .bottomLeft: (bx, by) = (plot.x + inset, plot.maxY - inset - h)
            case .bottomRight: (bx, by) = (plot.maxX - inset - w, plot.maxY - inset - h)
            }
            canvas.rect(x: bx, y: by, width: w, height: h,
                        style: SVGStyle(fill: .white, stroke: RGBColor(hex: 0xCCCCCC), strokeWidth: 1, fillOpacity: 0.88),
                        cornerRadius: 3)
            block.draw(on: &canvas, x: bx + padding, y: by + padding, maxHeight: plot.height - 2 * (inset + padding))
        }
    }
}
