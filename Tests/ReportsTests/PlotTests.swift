import Evaluation
import Foundation
import Mechanics
@testable import Reports
import XCTest

final class PlotTests: XCTestCase {
    // MARK: Density

    func testHistogramBinsPointsAndCountsTheRest() {
        let h = Histogram2D(x: [0, 0.5, 1, 1, 2, .nan, 0.2], y: [0, 0.5, 1, 1, 0, 0, 5], nx: 2, ny: 2,
                            xRange: 0...1, yRange: 0...1)
        XCTAssertEqual(h.counts, [1, 0, 0, 3], "(0,0) low-left; 0.5 and the upper edge go to the last bin")
        XCTAssertEqual(h.outside, 3)
        XCTAssertEqual(h.total, 4)
        XCTAssertEqual(h.xEdge(1), 0.5)
        let log = Histogram2D(x: [1, 10, 100, 0], y: [0, 0, 0, 0], nx: 2, ny: 1, xRange: 1...100, yRange: 0...1,
                              xScale: .log10)
        XCTAssertEqual(log.counts, [1, 2])
        XCTAssertEqual(log.outside, 1)
        XCTAssertEqual(log.xEdge(1), 10, accuracy: 1e-9)
    }

    func testDensityPlotFromRawPoints() throws {
        var rng = TestRandom(seed: 3)
        var x: [Double] = [], y: [Double] = []
        for _ in 0..<20_000 {
            let u = rng.uniform() * 3.6
            x.append(u)
            y.append(2.68 - 0.72 * u + 0.2 * rng.normal())
        }
        var options = PlotOptions(title: "Expression vs rank", xLabel: "log10(rank + 1)", yLabel: "expression")
        options.notes = ["R² = 0.81"]
        var plot = DensityPlot(x: x, y: y, nx: 60, ny: 40, options: options)
        plot.colorLabel = "cells"
        plot.lines = [.linear(intercept: 2.68, slope: -0.72)]
        plot.identityLine = true
        XCTAssertEqual(plot.histogram.total, 20_000)

        let doc = try XMLSummary.parse(plot.render())
        XCTAssertGreaterThan(doc.count("rect", inClass: "density"), 100)
        XCTAssertLessThanOrEqual(doc.count("rect", inClass: "density"), 60 * 40)
        XCTAssertEqual(doc.count("rect", inClass: "colorbar"), 64 + 1, "64 cells and a frame")
        XCTAssertEqual(doc.classed("overlay-line").count, 2, "fitted line and identity")
        XCTAssertEqual(doc.count("polyline", inClass: "overlay-line"), 3, "fit with halo, identity without")
        let texts = doc.svgTexts
        for expected in ["Expression vs rank", "log10(rank + 1)", "expression", "cells", "y = 2.68 \u{2212} 0.72·x",
                         "y = x", "R² = 0.81", "1", "10"] {
            XCTAssertTrue(texts.contains(expected), "missing text \(expected) in \(texts)")
        }
        // x ticks inside 0…3.6 at whole numbers (and no label outside the data range).
        XCTAssertTrue(["0", "1", "2", "3"].allSatisfy(texts.contains))
        XCTAssertFalse(texts.contains("4"))
    }

    func testDensityPlotOnLogAxisWithInlineLabel() throws {
        var rng = TestRandom(seed: 9)
        let ranks = (0..<5_000).map { _ in floor(exp(rng.uniform() * log(5000.0))) }
        let y = ranks.map { 2.68 - 0.72 * log10(1 + $0) + 0.1 * rng.normal() }
        var options = PlotOptions(xLabel: "rank", yLabel: "expression")
        options.xScale = .log10
        var plot = DensityPlot(x: ranks, y: y, nx: 40, ny: 30, options: options)
        var line = OverlayLine.function(over: 1...5000, logSpacing: true, label: "model") { 2.68 - 0.72 * log10(1 + $0) }
        line.inlineLabel = true
        plot.lines = [line]
        XCTAssertEqual(plot.histogram.xScale, .log10)
        XCTAssertEqual(plot.histogram.outside, 0)
        let doc = try XMLSummary.parse(plot.render())
        XCTAssertGreaterThan(doc.count("rect", inClass: "density"), 40)
        XCTAssertTrue(["1", "10", "100", "1k"].allSatisfy(doc.svgTexts.contains), "\(doc.svgTexts)")
        XCTAssertEqual(doc.svgTexts.filter { $0 == "model" }.count, 2, "legend entry and inline label")
        XCTAssertEqual(doc.count("text", inClass: "overlay-line"), 1, "the inline label")
    }

    func testDensityPlotFromPreBinnedCounts() throws {
        let plot = DensityPlot(counts: [1, 1, 0, 5, 10, 0], nx: 3, ny: 2, xRange: 0...3, yRange: 0...2,
                               options: PlotOptions(title: "binned"))
        let doc = try XMLSummary.parse(plot.render())
        // Row 0: [1, 1] merge into one rect; row 1: 5 and 10 differ → two rects.
        XCTAssertEqual(doc.count("rect", inClass: "density"), 3)
        XCTAssertEqual(plot.colorScale.upper, 10)
    }

    // MARK: Scatter

    func testScatterPlotWithCategoriesLegendAndIdentity() throws {
        let x: [Double] = [0, 1, 2, 3, 4, 5]
        var plot = ScatterPlot(x: x, y: x.map { $0 * 1.1 }, labels: ["B", "A", "B", "B", "<&>", "A"],
                               options: PlotOptions(title: "t", xLabel: "observed", yLabel: "predicted"))
        plot.identityLine = true
        let doc = try XMLSummary.parse(plot.render())
        XCTAssertEqual(doc.count("circle", inClass: "points"), 6)
        let texts = doc.svgTexts
        XCTAssertTrue(texts.contains("B (3)"))
        XCTAssertTrue(texts.contains("A (2)"))
        XCTAssertTrue(texts.contains("<&> (1)"))
        XCTAssertTrue(texts.contains("y = x"))
        // Largest category first, so it gets the first palette colour.
        let legendOrder = texts.filter { $0.hasSuffix(")") }
        XCTAssertEqual(legendOrder, ["B (3)", "A (2)", "<&> (1)"])
        XCTAssertEqual(doc.count("circle", inClass: "legend"), 3)
    }

    func testScatterPlotThinsManyPointsDeterministically() throws {
        var rng = TestRandom(seed: 5)
        let n = 50_000
        let x = (0..<n).map { _ in rng.normal() }, y = (0..<n).map { _ in rng.normal() }
        var plot = ScatterPlot(x: x, y: y, options: PlotOptions(title: "many"))
        plot.maxPoints = 5_000
        let drawn = plot.drawnIndices()
        XCTAssertEqual(Double(drawn.count), 5_000, accuracy: 300)
        XCTAssertEqual(drawn, plot.drawnIndices(), "same input, same subsample")
        let doc = try XMLSummary.parse(plot.render())
        XCTAssertEqual(doc.count("circle", inClass: "points"), drawn.count)
        XCTAssertTrue(doc.svgTexts.contains { $0.contains("showing") && $0.contains("of 50,000 points") })
    }

    // MARK: Lines

    func testLinePlotSeriesLegendMarkersAndGaps() throws {
        var options = PlotOptions(title: "Loss", xLabel: "step", yLabel: "loss")
        options.legendPosition = .inside(.topRight)
        let plot = LinePlot(series: [
            .init(name: "training", x: [0, 1, 2, 3, 4], y: [4, 3, .nan, 2, 1.8]),
            .init(name: "validation", x: [0, 2, 4], y: [4.2, 2.6, 2.0], markers: true),
        ], options: options)
        let doc = try XMLSummary.parse(plot.render())
        XCTAssertEqual(doc.classed("series").count, 2)
        XCTAssertEqual(doc.count("polyline", inClass: "series"), 3, "the NaN splits the training line in two")
        XCTAssertEqual(doc.count("circle", inClass: "series"), 3, "markers on validation only")
        XCTAssertTrue(["training", "validation", "Loss", "step", "loss"].allSatisfy(doc.svgTexts.contains))
    }

    func testLogAxisLinePlot() throws {
        var options = PlotOptions(xLabel: "cells", yLabel: "seconds")
        options.xScale = .log10
        let plot = LinePlot(series: [.init(name: "time", x: [1, 10, 100, 1e4, 1e6], y: [0.1, 0.2, 0.5, 3, 40])],
                            options: options)
        let doc = try XMLSummary.parse(plot.render())
        XCTAssertTrue(["1", "10", "100", "1k", "10k", "100k", "1M"].allSatisfy(doc.svgTexts.contains), "\(doc.svgTexts)")
    }

    // MARK: Bars and heat maps

    func testBarChart() throws {
        var chart = BarChart(labels: ["B cells", "NK <&> cells", "T cells"], values: [0.91, 0.62, 0.875],
                             options: PlotOptions(title: "F1", xLabel: "F1 score"))
        chart.valueRange = 0...1
        chart.sortDescending = true
        let doc = try XMLSummary.parse(chart.render())
        XCTAssertEqual(doc.count("rect", inClass: "bars"), 3)
        let texts = doc.svgTexts
        XCTAssertTrue(["B cells", "NK <&> cells", "T cells", "0.91", "0.62", "0.88", "F1 score", "0.0", "1.0"]
            .allSatisfy(texts.contains), "\(texts)")
        let order = texts.filter { $0.hasSuffix("cells") }
        XCTAssertEqual(order, ["B cells", "T cells", "NK <&> cells"])

        let many = BarChart(labels: (0..<60).map { "class \($0)" }, values: (0..<60).map(Double.init),
                            options: PlotOptions(height: 300))
        XCTAssertGreaterThan(many.renderedHeight, 60 * 20, "grows to give every bar a row")
        _ = try XMLSummary.parse(many.render())
    }

    func testHeatmapCellsLabelsAndAnnotations() throws {
        let labels = ["T", "B", "NK <&>"]
        let values: [[Double]] = [[50, 3, 1], [2, 40, 0], [5, 1, .nan]]
        var heat = Heatmap(values: values, rowLabels: labels, columnLabels: labels,
                           options: PlotOptions(title: "Confusion", xLabel: "predicted", yLabel: "true"))
        heat.colorLabel = "cells"
        let doc = try XMLSummary.parse(heat.render())
        XCTAssertEqual(doc.count("rect", inClass: "cells"), 9)
        let texts = doc.svgTexts
        XCTAssertEqual(doc.count("text", inClass: "cells"), 8, "every cell but the NaN one is annotated")
        XCTAssertTrue(["50", "40", "0", "NK <&>", "predicted", "true", "cells", "Confusion"].allSatisfy(texts.contains))
        XCTAssertTrue(doc.elements("title").map(\.text).contains("NK <&> → NK <&>: no value"))
        XCTAssertEqual(heat.cellText(row: 0, column: 1), "3")

        var fractions = Heatmap(values: [[0.91, 0.09], [0.2, 0.8]], rowLabels: ["a", "b"], columnLabels: ["a", "b"])
        fractions.showColorBar = false
        XCTAssertEqual(fractions.cellText(row: 0, column: 0), "0.91")
        XCTAssertEqual(try XMLSummary.parse(fractions.render()).count("rect", inClass: "colorbar"), 0)
    }

    func testLongLabelsAreShortenedWithTooltip() throws {
        let long = String(repeating: "very long cell type name ", count: 6)
        let heat = Heatmap(values: [[1]], rowLabels: [long], columnLabels: ["x"], options: PlotOptions(width: 400, height: 300))
        let doc = try XMLSummary.parse(heat.render())
        XCTAssertTrue(doc.svgTexts.contains { $0.hasSuffix("…") })
        XCTAssertTrue(doc.elements("title").contains { $0.text == long })
    }

    func testEveryFigureIsStandaloneSVG() throws {
        let figures: [any SVGFigure] = [
            DensityPlot(counts: [1], nx: 1, ny: 1, xRange: 0...1, yRange: 0...1),
            ScatterPlot(x: [], y: []),
            LinePlot(series: []),
            BarChart(labels: [], values: []),
            Heatmap(values: [], rowLabels: [], columnLabels: []),
        ]
        for f in figures {
            let svg = f.render()
            let doc = try XMLSummary.parse(svg)
            let root = try XCTUnwrap(doc.elements.first)
            XCTAssertEqual(root.name, "svg")
            XCTAssertEqual(root.attributes["xmlns"], "http://www.w3.org/2000/svg")
            XCTAssertNotNil(root.attributes["viewBox"])
        }
    }
}
