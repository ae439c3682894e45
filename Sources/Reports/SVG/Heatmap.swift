import Foundation

/// A matrix of values as coloured cells with row and column labels, e.g. a confusion matrix
/// (rows: true class, columns: predicted class).
///
/// Cells are square when the space allows. Each cell shows its value (in black or white,
/// whichever contrasts better) when the cell is large enough for the text, and has a tooltip
/// "row → column: value". Column labels are set horizontally when they fit the cell width,
/// otherwise at 45°, or upright when even that would crowd them (then every k-th label if
/// cells are narrower than a line); rows likewise show every k-th label when cells are lower
/// than a line. NaN cells are light grey. A colour bar on the right explains the colours.
public struct Heatmap: SVGFigure {
    /// `values[row][column]`.
    public var values: [[Double]]
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// `options.xLabel` titles the columns (e.g. "Predicted"), `options.yLabel` the rows ("True").
    public var options: PlotOptions
    public var colormap: Colormap = .viridis
    /// Colour range; nil spans min(0, smallest)…largest value.
    public var colorRange: ClosedRange<Double>?
    public var colorLabel: String?
    public var showColorBar = true
    /// Write values in the cells (when they fit).
    public var annotate = true
    /// Text to write instead of the values (same shape as `values`).
    public var annotations: [[String]]?
    /// Decimals of the cell values; nil: none for whole numbers, 2 for values within [−1, 1],
    /// else 3 significant digits.
    public var valueDecimals: Int?

    private enum ColumnLabelAngle { case horizontal, diagonal, vertical }

    /// A heat map of `values[row][column]`; one label per row and per column.
    public init(values: [[Double]], rowLabels: [String], columnLabels: [String], options: PlotOptions = PlotOptions()) {
        precondition(values.count == rowLabels.count, "one row label per row")
        precondition(values.allSatisfy { $0.count == columnLabels.count }, "one column label per column")
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.options = options
    }

    private var finiteValues: [Double] { values.flatMap { $0 }.filter(\.isFinite) }

    /// The colour scale of the cells.
    public var colorScale: SequentialColorScale {
        let v = finiteValues
        let range = colorRange ?? min(0, v.min() ?? 0)...max(v.max() ?? 1, min(0, v.min() ?? 0) + 1e-12)
        return SequentialColorScale(lower: range.lowerBound, upper: range.upperBound, transform: .linear,
                                    colormap: colormap)
    }

    /// The text written in cell (`row`, `column`).
    public func cellText(row: Int, column: Int) -> String {
        if let annotations, row < annotations.count, column < annotations[row].count { return annotations[row][column] }
        let v = values[row][column]
        guard v.isFinite else { return "" }
        if let valueDecimals { return ReportNumberFormat.fixed(v, decimals: valueDecimals) }
        let all = finiteValues
        if all.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e15 }) { return ReportNumberFormat.integer(Int64(v)) }
        if all.allSatisfy({ abs($0) <= 1 }) { return ReportNumberFormat.fixed(v, decimals: 2) }
        return ReportNumberFormat.number(v, significant: 3)
    }

    /// The heat map as a standalone SVG document.
    public func render() -> String {
        let nr = values.count, nc = columnLabels.count
        let fs = options.fontSize
        let pad = PlotChrome.outerPadding
        let titleSize = (fs * 1.1).rounded()
        let chrome = PlotChrome(options: options)
        let scale = colorScale
        let top = chrome.plotTop

        let rowLabelWidth = min(rowLabels.map { TextMetrics.width($0, size: fs) }.max() ?? 0, options.width * 0.3)
        let colLabelWidths = columnLabels.map { TextMetrics.width($0, size: fs) }
        let maxColLabel = min(colLabelWidths.max() ?? 0, options.height * 0.3)
        let yTitleWidth = options.yLabel?.isEmpty == false ? titleSize + Axis.titleGap : 0
        let xTitleHeight = options.xLabel?.isEmpty == false ? titleSize * 1.15 + Axis.titleGap : 0
        let bar = showColorBar ? ColorBar(scale: scale, title: colorLabel, fontSize: fs) : nil
        let side = SidePanel(colorBar: bar, legend: nil, notes: options.notes, fontSize: fs, maxWidth: options.width * 0.3)

        func layout(_ labels: ColumnLabelAngle) -> (left: Double, cellW: Double, cellH: Double, labelBand: Double, sideW: Double) {
            let labelBand: Double
            switch labels {
            case .horizontal: labelBand = fs + 8
            case .diagonal: labelBand = maxColLabel * 0.7071 + fs * 0.5 + 8
            case .vertical: labelBand = maxColLabel + 10
            }
            let availableH = options.height - top - labelBand - xTitleHeight - pad
            let sideW = side.isEmpty ? 0 : side.width(plotHeight: max(availableH, 100)) + PlotChrome.columnGap
            var left = pad + yTitleWidth + rowLabelWidth + 8
            let availableW = options.width - left - pad - sideW
            var cw = availableW / Double(max(nc, 1)), ch = availableH / Double(max(nr, 1))
            let square = min(cw, ch)
            if square * 1.6 >= max(cw, ch) || square >= fs * 2.5 { cw = square; ch = square }
            if labels == .diagonal {
                // The first column's label reaches left under the row labels; keep it inside.
                left = max(left, pad + maxColLabel * 0.7071 - cw / 2)
                cw = min(cw, (options.width - left - pad - sideW) / Double(max(nc, 1)))
                if ch > cw * 1.6 { ch = cw * 1.6 }
            }
            return (left, cw, ch, labelBand, sideW)
        }
        // Horizontal column labels if they fit their cells; else at 45° if neighbours stay a
        // line apart; else vertical (every k-th label when even that is too tight).
        var angle = ColumnLabelAngle.horizontal
        var l = layout(.horizontal)
        if colLabelWidths.contains(where: { $0 > l.cellW - 6 }) {
            angle = .diagonal
            l = layout(.diagonal)
            if l.cellW * 0.7071 < fs * 1.1 {
                angle = .vertical
                l = layout(.vertical)
            }
        }
        let grid = PlotRect(x: l.left, y: top, width: l.cellW * Double(nc), height: l.cellH * Double(nr))

        // Annotation text must fit the cell; shrink down to 80 % of the font size, else skip.
        var annotationSize = min(fs, l.cellH * 0.45)
        var showText = annotate && annotationSize >= fs * 0.8
        if showText {
            var widest = 0.0
            for r in 0..<nr { for col in 0..<nc { widest = max(widest, TextMetrics.width(cellText(row: r, column: col), size: annotationSize)) } }
            if widest > l.cellW - 4 {
                annotationSize *= (l.cellW - 4) / widest
                showText = annotationSize >= fs * 0.8
            }
        }

        var c = chrome.canvas()
        c.group(cssClass: "cells") { g in
            for r in 0..<nr {
                for col in 0..<nc {
                    let v = values[r][col]
                    let fill = scale.color(for: v) ?? RGBColor(hex: 0xEEEEEE)
                    let x = grid.x + Double(col) * l.cellW, y = grid.y + Double(r) * l.cellH
                    let text = cellText(row: r, column: col)
                    g.rect(x: x, y: y, width: l.cellW, height: l.cellH,
                           style: SVGStyle(fill: fill, stroke: .white, strokeWidth: l.cellW > 6 ? 1 : 0),
                           title: "\(rowLabels[r]) → \(columnLabels[col]): \(v.isFinite ? text : "no value")")
                    if showText && !text.isEmpty {
                        g.text(text, x: x + l.cellW / 2, y: y + l.cellH / 2,
                               style: SVGTextStyle(size: annotationSize, color: fill.contrastingText),
                               anchor: .middle, baseline: .middle)
                    }
                }
            }
        }
        // Small cells get labels down to 9 px (never larger than the cells are apart); below
        // that only every k-th row and column is labelled.
        let minLabel = min(9.0, fs)
        let rowSize = min(fs, max(minLabel, (l.cellH * 0.9).rounded(.down)))
        let columnSize = angle == .vertical ? min(fs, max(minLabel, (l.cellW * 0.9).rounded(.down))) : fs
        let rowStyle = SVGTextStyle(size: rowSize), labelStyle = SVGTextStyle(size: columnSize)
        let rowStride = max(1, Int(ceil(rowSize * 1.05 / max(l.cellH, 0.1))))
        for r in stride(from: 0, to: nr, by: rowStride) {
            let t = TextMetrics.truncate(rowLabels[r], toWidth: rowLabelWidth, size: rowSize)
            c.text(t, x: grid.x - 6, y: grid.y + (Double(r) + 0.5) * l.cellH, style: rowStyle, anchor: .end,
                   baseline: .middle, title: t == rowLabels[r] ? nil : rowLabels[r])
        }
        let colStride = angle == .vertical ? max(1, Int(ceil(columnSize * 1.05 / max(l.cellW, 0.1)))) : 1
        for col in stride(from: 0, to: nc, by: colStride) {
            let cx = grid.x + (Double(col) + 0.5) * l.cellW
            let full = columnLabels[col]
            let t = TextMetrics.truncate(full, toWidth: maxColLabel, size: columnSize)
            switch angle {
            case .horizontal:
                c.text(full, x: cx, y: grid.maxY + 6, style: labelStyle, anchor: .middle, baseline: .top)
            case .diagonal:
                c.text(t, x: cx + fs * 0.3, y: grid.maxY + 8, style: labelStyle, anchor: .end, baseline: .top,
                       rotation: -45, title: t == full ? nil : full)
            case .vertical:
                c.text(t, x: cx, y: grid.maxY + 6, style: labelStyle, anchor: .end, baseline: .middle,
                       rotation: -90, title: t == full ? nil : full)
            }
        }
        if let xLabel = options.xLabel, !xLabel.isEmpty {
            let t = TextMetrics.truncate(xLabel, toWidth: options.width - 2 * pad, size: titleSize)
            // Under the column labels as drawn (possibly smaller than the layout assumed).
            let widest = min(colLabelWidths.max() ?? 0, maxColLabel) * columnSize / fs
            let band: Double
            switch angle {
            case .horizontal: band = l.labelBand
            case .diagonal: band = widest * 0.7071 + columnSize * 0.5 + 8
            case .vertical: band = widest + 10
            }
            c.text(t, x: grid.midX, y: grid.maxY + band + Axis.titleGap, style: SVGTextStyle(size: titleSize),
                   anchor: .middle, baseline: .top, title: t == xLabel ? nil : xLabel)
        }
        if let yLabel = options.yLabel, !yLabel.isEmpty {
            let t = TextMetrics.truncate(yLabel, toWidth: options.height - 2 * pad, size: titleSize)
            // Next to the row labels (not at the figure's edge).
            let shownRowLabels = rowLabels.map {
                TextMetrics.width(TextMetrics.truncate($0, toWidth: rowLabelWidth, size: rowSize), size: rowSize)
            }
            let tx = max(pad, grid.x - 6 - (shownRowLabels.max() ?? 0) - Axis.titleGap - titleSize)
            c.text(t, x: tx, y: grid.midY, style: SVGTextStyle(size: titleSize), anchor: .middle, baseline: .top,
                   rotation: -90, title: t == yLabel ? nil : yLabel)
        }
        if !side.isEmpty {
            let sx = grid.maxX + PlotChrome.columnGap
            side.draw(on: &c, x: sx, y: grid.y, width: l.sideW - PlotChrome.columnGap,
                      plotHeight: max(grid.height, 100))
        }
        chrome.drawTitles(on: &c)
        return c.render(title: options.title)
    }
}
