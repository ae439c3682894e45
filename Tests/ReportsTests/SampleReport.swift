import Evaluation
import Foundation
import Mechanics
import Reports

/// A report with every figure type, on synthetic data shaped like the real thing.
enum SampleReport {
    static let cellTypes = ["CD4 T cells", "CD14+ Monocytes", "B cells", "CD8 T cells", "NK cells",
                            "FCGR3A+ Monocytes", "Dendritic cells", "Megakaryocytes"]

    /// Expression against log10(1 + rank) for `count` (gene, cell) pairs, around
    /// y = 2.68 − 0.72·x, and the least-squares fit.
    static func rankExpression(count: Int) -> (x: [Double], y: [Double], intercept: Double, slope: Double, r2: Double) {
        var rng = TestRandom(seed: 7)
        var xs = [Double](repeating: 0, count: count), ys = xs
        for i in 0..<count {
            let rank = floor(exp(rng.uniform() * log(4000.0)))  // log-uniform in 1…4000
            let x = log10(1 + rank)
            xs[i] = x
            ys[i] = 2.68 - 0.72 * x + 0.22 * rng.normal() + (rng.uniform() < 0.04 ? 0.6 * rng.normal() : 0)
        }
        let n = Double(count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<count {
            sxy += (xs[i] - mx) * (ys[i] - my)
            sxx += (xs[i] - mx) * (xs[i] - mx)
            syy += (ys[i] - my) * (ys[i] - my)
        }
        let slope = sxy / sxx
        return (xs, ys, my - slope * mx, slope, sxy * sxy / (sxx * syy))
    }

    static func make(points: Int = 200_000) -> HTMLReport {
        var report = HTMLReport(title: "Inverse transform & evaluation — sample report",
                                subtitle: "Synthetic data standing in for pbmc3k (2,638 cells × 1,838 genes)")
        report.setRunInfo([("c2s", "0.1.0-dev"), ("input", "pbmc3k_processed.h5ad"),
                           ("model", "pythia-160m-c2s"), ("seed", "42")])

        report.addSection("Settings", id: "settings")
        report.addParagraph("Parameters of the conversion and of the inverse transform fit. Labels such as <&> are escaped.")
        report.addKeyValueTable([("Genes per sentence", "100"), ("Normalisation", "total 10,000 then log1p"),
                                 ("Fit", "ordinary least squares on log10(rank + 1)"),
                                 ("Output", "/tmp/eval-sample/report.html")],
                                caption: "Conversion settings", id: "settings-table")

        // 1. Density of expression against log rank with the fitted line.
        report.addSection("Inverse transform fit", id: "fit")
        let fit = rankExpression(count: points)
        var options = PlotOptions(title: "Expression against rank",
                                  subtitle: "\(ReportNumberFormat.integer(points)) gene–cell pairs",
                                  xLabel: "log10(rank + 1)", yLabel: "log1p(normalised expression)")
        options.notes = ["R² = \(ReportNumberFormat.number(fit.r2))",
                         "n = \(ReportNumberFormat.integer(points))"]
        var density = DensityPlot(x: fit.x, y: fit.y, nx: 120, ny: 90, options: options)
        density.colorLabel = "pairs per bin"
        var fitLine = OverlayLine.linear(intercept: fit.intercept, slope: fit.slope)
        fitLine.inlineLabel = true
        density.lines = [fitLine]
        report.addFigure(density, id: "fig-fit-density",
                         caption: "Density of (log rank, expression) pairs, log colour scale, with the least-squares line.")
        report.addTable(ReportTable(columns: ["parameter", "value", "95% CI"],
                                    rows: [["intercept a", .number(fit.intercept), "2.677 … 2.684"],
                                           ["slope b", .number(fit.slope), "−0.722 … −0.718"],
                                           ["R²", .number(fit.r2), .empty],
                                           ["pairs", .integer(points), .empty]],
                                    caption: "Fitted inverse transform", id: "fit-table"))

        // 2. Reconstructed against observed mean expression with the identity.
        report.addSection("Reconstruction", id: "reconstruction")
        var rng = TestRandom(seed: 11)
        var obs: [Double] = [], rec: [Double] = [], group: [String] = []
        for i in 0..<1838 {
            let o = max(0, 3.2 * pow(rng.uniform(), 1.7))
            obs.append(o)
            rec.append(max(0, o * 0.93 + 0.05 + 0.12 * rng.normal()))
            group.append(i % 7 == 0 ? "mitochondrial" : (i % 3 == 0 ? "ribosomal" : "other genes"))
        }
        var scatterOptions = PlotOptions(title: "Reconstructed vs observed mean expression",
                                         xLabel: "observed mean log1p expression",
                                         yLabel: "reconstructed mean log1p expression")
        scatterOptions.width = 620
        scatterOptions.height = 460
        var scatter = ScatterPlot(x: obs, y: rec, labels: group, options: scatterOptions)
        scatter.identityLine = true
        report.addFigure(scatter, id: "fig-reconstruction",
                         caption: "One point per gene; the dashed line is y = x.")

        // 3. A 2-D map of cells.
        var mapX: [Double] = [], mapY: [Double] = [], mapLabel: [String] = []
        let centres: [(Double, Double, Double)] = [(-6, 2, 1.6), (5, 5, 1.3), (1, -7, 1.1), (-4, 5, 1.0), (-2, 8, 0.9),
                                                  (8, 1, 0.9), (3, 9, 0.6), (10, -6, 0.4)]
        let sizes = [1150, 480, 340, 310, 150, 150, 40, 15]
        for (k, (cx, cy, s)) in centres.enumerated() {
            for _ in 0..<sizes[k] {
                mapX.append(cx + s * rng.normal())
                mapY.append(cy + s * rng.normal())
                mapLabel.append(cellTypes[k])
            }
        }
        var mapOptions = PlotOptions(title: "Cell embedding (UMAP)", xLabel: "UMAP 1", yLabel: "UMAP 2")
        mapOptions.grid = false
        report.addFigure(ScatterPlot(x: mapX, y: mapY, labels: mapLabel, options: mapOptions), id: "fig-umap",
                         caption: "Cells coloured by annotated type (legend in order of size).")

        // 4. Training curves.
        report.addSection("Training", id: "training")
        var steps: [Double] = [], train: [Double] = [], valSteps: [Double] = [], val: [Double] = []
        for step in stride(from: 0, through: 3000, by: 10) {
            steps.append(Double(step))
            train.append(1.9 + 4.5 * exp(-Double(step) / 420) + 0.08 * rng.normal())
        }
        for step in stride(from: 0, through: 3000, by: 250) {
            valSteps.append(Double(step))
            val.append(2.05 + 4.3 * exp(-Double(step) / 450) + 0.02 * rng.normal())
        }
        var lossOptions = PlotOptions(title: "Loss", xLabel: "optimizer step", yLabel: "cross-entropy (nats)")
        lossOptions.legendPosition = .inside(.topRight)
        var loss = LinePlot(series: [.init(name: "training", x: steps, y: train, width: 1.5),
                                     .init(name: "validation", x: valSteps, y: val, markers: true)],
                            options: lossOptions)
        loss.markers = false
        report.addFigure(loss, id: "fig-loss", caption: "Training loss every 10 steps and validation loss every 250.")

        // 5. Classification: confusion matrix and F1 per class.
        report.addSection("Cell type prediction", id: "classification")
        let n = cellTypes.count
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            var row = (0..<n).map { j in j == i ? 0.0 : 0.12 * rng.uniform() * rng.uniform() }
            row[i] = 0
            let off = row.reduce(0, +)
            row[i] = max(0.35, 1 - off - (i == 7 ? 0.4 : i == 6 ? 0.25 : 0))
            let total = row.reduce(0, +)
            matrix[i] = row.map { $0 / total }
        }
        var heatOptions = PlotOptions(title: "Confusion matrix (row-normalised)", xLabel: "predicted", yLabel: "true")
        heatOptions.width = 720
        heatOptions.height = 560
        var heat = Heatmap(values: matrix, rowLabels: cellTypes, columnLabels: cellTypes, options: heatOptions)
        heat.colorLabel = "fraction of row"
        heat.colorRange = 0...1
        report.addFigure(heat, id: "fig-confusion", caption: "Rows: annotated type; columns: predicted type.")

        let f1 = (0..<n).map { i in matrix[i][i] * 0.97 }
        var bars = BarChart(labels: cellTypes, values: f1,
                            options: PlotOptions(title: "F1 per cell type", xLabel: "F1 score"))
        bars.valueRange = 0...1
        bars.sortDescending = true
        bars.options.height = 320
        report.addFigure(bars, id: "fig-f1", caption: "F1 score on held-out cells, best first.")

        report.addTable(ReportTable(columns: ["cell type", "cells", "precision", "recall", "F1"],
                                    rows: (0..<n).map { i in
                                        [.text(cellTypes[i]), .integer(sizes[i] * 3), .number(matrix[i][i] * 0.98),
                                         .number(matrix[i][i]), .number(f1[i])]
                                    },
                                    caption: "Per-class metrics", id: "class-metrics", decimals: [2: 3, 3: 3, 4: 3]))
        return report
    }
}
