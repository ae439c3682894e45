import CellSentences
import Evaluation
import Foundation

/// The HTML page that shows how well cell sentences keep expression: the rank-to-expression
/// curve, reconstructed against actual values, the fit's metrics, and per-group fits.
public enum InverseTransformReport {
    /// Builds the page for the dataset described by `manifest` from its sampled cells' points.
    public static func build(datasetName: String, manifest: DatasetManifest, fit: InverseTransformFit,
                             samples: InverseTransform.Samples) -> HTMLReport {
        var report = HTMLReport(title: "Inverse transform — \(datasetName)",
                                subtitle: "How much expression survives the conversion to cell sentences")
        report.setRunInfo([
            ("c2s", manifest.toolVersion),
            ("input", manifest.input.path),
            ("sha256", String(manifest.input.sha256.prefix(16))),
            ("cells", "\(manifest.counts.cellsKept)"),
            ("genes", "\(manifest.counts.genesKept)"),
        ])
        let m = fit.model, q = fit.quality, t = fit.settings.logRankThreshold

        _ = report.addSection("Summary")
        report.addParagraph("""
            Each gene of a cell sentence is given back the expression \(fmt(m.slope)) · log10(1 + rank) + \(fmt(m.intercept)), \
            where rank is its 0-based position. The line was fitted by least squares to the \(q.fitPoints) points with \
            log10(1 + rank) < \(fmt(t)) of \(q.cells) sampled cells, and is judged on all \(q.points) non-zero values of those cells. \
            The paper reports R² above 0.81 on immune tissue; the reference package's tutorial gets about 0.87.
            """)
        var metrics = [[ReportValue]]()
        metrics.append(["global fit", .number(m.slope), .number(m.intercept), .number(q.rSquared), .number(q.pearson),
                        .number(q.spearman), .integer(q.cells), .integer(q.points)])
        if let g = fit.pooledGroupQuality, let gl = fit.pooledGlobalQuality, let column = fit.settings.groupColumn {
            metrics.append([.text("global fit on the per-\(column) cells"), .empty, .empty, .number(gl.rSquared), .number(gl.pearson),
                            .number(gl.spearman), .integer(gl.cells), .integer(gl.points)])
            metrics.append([.text("one fit per \(column)"), .empty, .empty, .number(g.rSquared), .number(g.pearson),
                            .number(g.spearman), .integer(g.cells), .integer(g.points)])
        }
        report.addTable(ReportTable(columns: ["model", "slope", "intercept", "R²", "Pearson", "Spearman", "cells", "points"],
                                    rows: metrics, caption: "Quality of the reconstruction over the non-zero values of the sampled cells.",
                                    id: "metrics", decimals: [1: 4, 2: 4, 3: 4, 4: 4, 5: 4]))
        report.addKeyValueTable([
            ("cells sampled", "\(fit.settings.sampleSize)\(fit.settings.groupColumn.map { " (also per \($0))" } ?? "")"),
            ("sample seed", "\(fit.settings.seed)"),
            ("fitted points", "log10(1 + rank) < \(fmt(t))"),
            ("normalisation", "total \(manifest.targetSumUsed.map { String(format: "%g", $0) } ?? "none") (\(manifest.preprocessing.targetSum == .median ? "median" : "fixed")), log base \(manifest.preprocessing.log)"),
            ("filters", "min genes \(manifest.preprocessing.minGenes), min cells \(manifest.preprocessing.minCells)"),
            ("ties", fit.tieRule),
        ], caption: "Settings", id: "settings")

        _ = report.addSection("Expression against rank")
        let s = samples.global
        var curve = DensityPlot(x: s.x, y: s.y, nx: 140, ny: 100,
                                options: PlotOptions(width: 760, height: 480, title: "Normalised expression against log rank",
                                                     subtitle: "\(s.cells) sampled cells, \(s.y.count) non-zero values",
                                                     xLabel: "log10(1 + rank)", yLabel: "normalised expression"))
        curve.colorLabel = "values per bin"
        curve.lines = [.linear(intercept: m.intercept, slope: m.slope)]
        if let maxX = s.x.max(), t < maxX {
            let ys = (s.y.min() ?? 0, s.y.max() ?? 1)
            curve.lines.append(OverlayLine(x: [t, t], y: [ys.0, ys.1], label: "fit limit", color: RGBColor(hex: 0x555555), width: 1.25, dash: [4, 3], halo: false))
        }
        _ = report.addFigure(curve, id: "expression-vs-rank",
                             caption: "Density of (log rank, expression) pairs of the sampled cells with the fitted line; points right of the dashed line were not used for the fit.")

        _ = report.addSection("Reconstructed against actual")
        let predicted = s.x.map { m.slope * $0 + m.intercept }
        let lo = min(predicted.min() ?? 0, s.y.min() ?? 0), hi = max(predicted.max() ?? 1, s.y.max() ?? 1)
        var agreement = DensityPlot(x: s.y, y: predicted, nx: 110, ny: 110, xRange: lo...hi, yRange: lo...hi,
                                    options: PlotOptions(width: 620, height: 560, title: "Reconstructed against actual expression",
                                                         subtitle: "R² \(fmt(q.rSquared)), Pearson \(fmt(q.pearson)), Spearman \(fmt(q.spearman))",
                                                         xLabel: "actual normalised expression", yLabel: "reconstructed expression"))
        agreement.colorLabel = "values per bin"
        agreement.identityLine = true
        _ = report.addFigure(agreement, id: "reconstructed-vs-actual",
                             caption: "Each non-zero value of the sampled cells against its reconstruction from rank; the line is y = x. Vertical bands are ties (genes with equal counts share a value but not a rank); horizontal bands are the first ranks, which take few distinct values.")

        if let groups = fit.groups, let column = fit.settings.groupColumn {
            _ = report.addSection("Per \(column)")
            report.addParagraph("Rank-to-expression curves differ between cell populations (library size, number of expressed genes). One line per \(column) value, each fitted on up to \(fit.settings.sampleSize) cells of that group, against the global line on the same cells.")
            let rows: [[ReportValue]] = groups.map { g in
                [.text(g.group), .integer(g.quality.cells), .number(g.model.slope), .number(g.model.intercept),
                 .number(g.quality.rSquared), .number(g.globalModelQuality.rSquared), .number(g.quality.rSquared - g.globalModelQuality.rSquared)]
            }
            report.addTable(ReportTable(columns: [column, "cells", "slope", "intercept", "R² own fit", "R² global fit", "gain"],
                                        rows: rows, caption: "Fit per \(column).", id: "group-fits",
                                        decimals: [2: 4, 3: 4, 4: 4, 5: 4, 6: 4]))
            let maxX = samples.groups.compactMap { $0.sample.x.max() }.max() ?? 3
            let xs = stride(from: 0.0, through: maxX, by: maxX / 60).map { $0 }
            var series = groups.map { g in LinePlot.Series(name: g.group, x: xs, y: xs.map { g.model.slope * $0 + g.model.intercept }) }
            series.append(LinePlot.Series(name: "global", x: xs, y: xs.map { m.slope * $0 + m.intercept }, color: RGBColor(hex: 0x222222), dash: [6, 4]))
            let lines = LinePlot(series: series, options: PlotOptions(width: 760, height: 460, title: "Fitted curves per \(column)",
                                                                       xLabel: "log10(1 + rank)", yLabel: "reconstructed expression"))
            _ = report.addFigure(lines, id: "group-curves", caption: "Fitted rank-to-expression lines per \(column); dashed: the global fit.")
        }
        return report
    }

    static func fmt(_ v: Double) -> String {
        v.isFinite ? String(format: "%.4g", v) : "n/a"
    }
}
