import Evaluation
import Foundation
import SingleCell

/// What `c2s report eval` puts on its page; every part is optional and a missing part is left
/// out of the page (and said to be).
public struct EvaluationReportInputs: Sendable {
    public var title = "Model evaluation"
    /// Settings of the run shown at the top (the command's inputs, the model, …).
    public var settings: [(String, String)] = []
    public var training: TrainingLog?
    /// Annotation metrics by name (e.g. "free", "constrained").
    public var annotations: [(name: String, report: AnnotationReport)] = []
    public var generation: GenerationReport?
    /// The label-swap test of the generation model, when `c2s evaluate generation` ran it.
    public var labelSwap: LabelSwapFigures?
    /// Mean generated and real expression per cell type over the shared genes.
    public var profiles: MeanProfileResult?
    public var map: CellMap?

    public init() {}
}

/// The page of `c2s report eval`: training curves, annotation and generation metrics and
/// figures, all inline SVG.
public enum EvaluationReport {
    public static func build(_ inputs: EvaluationReportInputs) -> HTMLReport {
        var report = HTMLReport(title: inputs.title, subtitle: "Training, annotation and generation of a C2S model")
        report.setRunInfo(inputs.settings)
        headline(inputs, into: &report)
        if let log = inputs.training { training(log, into: &report) }
        for (name, a) in inputs.annotations { annotation(name: name, a, into: &report) }
        if let g = inputs.generation { generation(g, into: &report) }
        if let p = inputs.profiles { profiles(p, into: &report) }
        if let m = inputs.map { map(m, into: &report) }
        return report
    }

    static func headline(_ inputs: EvaluationReportInputs, into report: inout HTMLReport) {
        _ = report.addSection("Headline figures", id: "headline")
        report.addTable(HeadlineTable.reportTable(HeadlineFigures.gather(inputs), id: "headline-table",
                                                  caption: "Each figure beside its references on the same cells. A floor (chance, a label-blind null, a baseline) is beaten when the model scores above it; real vs real is the ceiling a perfect generator would reach, and the verdict gives the share of it the model reaches."))
        var absent: [String] = []
        if inputs.training == nil { absent.append("training log") }
        if inputs.annotations.isEmpty { absent.append("annotation metrics") }
        if inputs.generation == nil { absent.append("generation metrics") }
        if inputs.profiles == nil || inputs.map == nil { absent.append("generated and real cells (mean-profile scatter, PCA map)") }
        if !absent.isEmpty { report.addParagraph("Not given, so not shown: " + absent.joined(separator: "; ") + ".") }
    }

    static func training(_ log: TrainingLog, into report: inout HTMLReport) {
        _ = report.addSection("Training", id: "training")
        let (plot, caption) = log.tasks.isEmpty ? totalLossPlot(log) : taskLossPlot(log)
        _ = report.addFigure(plot, id: "loss-curves", caption: caption)
        if !log.settings.isEmpty {
            // Dozens of arguments: folded, so that they do not push the results down the page.
            report.addKeyValueTable(log.settings, caption: "Training run (trainer_state.json)", id: "training-settings",
                                    folded: "Training arguments (\(log.settings.count) settings from trainer_state.json)")
        }
    }

    /// Steps of the running mean drawn over noisy per-step losses.
    static let lossWindow = 25

    /// One curve per task: the running mean of its training loss and its validation loss, on a
    /// log axis because the tasks' losses differ by orders of magnitude (a label costs a few
    /// tokens, a cell sentence a hundred). A mixed batch's total loss jumps with its mix of
    /// tasks, so the total says little about either.
    static func taskLossPlot(_ log: TrainingLog) -> (LinePlot, String) {
        var series: [LinePlot.Series] = []
        for (i, task) in log.tasks.enumerated() {
            let color = CategoricalPalette.color(i)
            if let points = log.trainingByTask[task], !points.isEmpty {
                series.append(LinePlot.Series(name: "\(task) training", x: points.map(\.step),
                                              y: runningMean(points.map(\.loss), window: lossWindow), color: color))
            }
            if let points = log.validationByTask[task], !points.isEmpty {
                series.append(LinePlot.Series(name: "\(task) validation", x: points.map(\.step), y: points.map(\.loss),
                                              color: color, dash: [5, 4], markers: true))
            }
        }
        var options = PlotOptions(width: 880, height: 420, title: "Loss per task",
                                  subtitle: "mean token loss of the response; training: running mean of \(lossWindow) steps", xLabel: "step", yLabel: "loss (log scale)")
        options.yScale = .log10
        var plot = LinePlot(series: series, options: options)
        plot.legendForSingleSeries = true
        let caption = "Loss of each task from \(log.path): solid lines the training loss of the steps whose batch held the task "
            + "(running mean of up to \(lossWindow) of them), dashed lines with dots the validation loss of the task. "
            + "The overall validation loss averages over the response tokens of all tasks together, so the task with the longest responses dominates it."
        return (plot, caption)
    }

    /// The total loss of logs without per-task losses (written before they existed).
    static func totalLossPlot(_ log: TrainingLog) -> (LinePlot, String) {
        var series: [LinePlot.Series] = []
        if !log.training.isEmpty {
            let steps = log.training.map(\.step), losses = log.training.map(\.loss)
            // Consecutive steps can hold different tasks and the per-step loss jumps; a
            // running mean shows the trend.
            if losses.count > 2 * lossWindow {
                series.append(LinePlot.Series(name: "training (per step)", x: steps, y: losses, color: RGBColor(hex: 0xB8C7D9)))
                series.append(LinePlot.Series(name: "training (mean of \(lossWindow) steps)", x: steps, y: runningMean(losses, window: lossWindow),
                                              color: CategoricalPalette.color(0)))
            } else {
                series.append(LinePlot.Series(name: "training", x: steps, y: losses))
            }
        }
        if !log.validation.isEmpty {
            series.append(LinePlot.Series(name: "validation", x: log.validation.map(\.step), y: log.validation.map(\.loss),
                                          color: CategoricalPalette.color(1), markers: true))
        }
        var plot = LinePlot(series: series, options: PlotOptions(width: 720, height: 400, title: "Loss",
                                                                 subtitle: "mean token loss of the response", xLabel: "step", yLabel: "loss"))
        plot.legendForSingleSeries = true
        let caption = "Training loss per step and validation loss from \(log.path). The log has no per-task losses (it predates them), "
            + "so when the prompts mix tasks of different lengths the training loss swings with each batch's mix of tasks; "
            + "the validation loss covers every task."
        return (plot, caption)
    }

    static func annotation(name: String, _ a: AnnotationReport, into report: inout HTMLReport) {
        let id = slug(name)
        _ = report.addSection("Annotation — \(name)", id: "annotation-\(id)")
        let m = a.metrics
        var text = "\(m.cells) cells of \(a.path): accuracy \(percent(m.accuracy)), weighted F1 \(fmt(m.weighted.f1)), macro F1 \(fmt(m.macro.f1))."
        if let b = a.baseline {
            text += " The k-NN baseline (k = \(b.k), \(b.trainCells) training cells, \(b.genes) genes, log-normalised to \(Int(b.normalizeTarget))) reaches \(percent(b.metrics.accuracy)) on the same cells."
        }
        if let s = a.baselines {
            text += " Logistic regression on \(s.logisticRegressionHVG.genes) highly variable genes (chosen on the \(s.hvg.trainCells) training cells) reaches \(percent(s.logisticRegressionHVG.metrics.accuracy)),"
                + " k-NN (k = \(s.knnPCAHVG.k)) on their first \(s.knnPCAHVG.components) principal components \(percent(s.knnPCAHVG.metrics.accuracy));"
                + " guessing scores \(percent(s.chance.uniform)) (1/\(s.chance.classes) classes) and always answering the majority class (\(s.chance.majorityClass)) \(percent(s.chance.majorityClassAccuracy))."
        }
        report.addParagraph(text)
        let registered = a.registered.details()
        if !registered.isEmpty {
            report.addKeyValueTable(registered.map { ($0.name, $0.value) }, caption: "Other metrics", id: "annotation-metrics-\(id)")
        }
        let totals = m.confusionMatrix.map { Double(max(1, $0.reduce(0, +))) }
        let fractions = m.confusionMatrix.enumerated().map { i, row in row.map { Double($0) / totals[i] } }
        var heat = Heatmap(values: fractions, rowLabels: m.labels, columnLabels: m.labels,
                           options: PlotOptions(width: 160 + 44 * Double(m.labels.count) + 120, height: 140 + 34 * Double(m.labels.count),
                                                title: "Confusion matrix", xLabel: "predicted", yLabel: "true"))
        heat.colorRange = 0...1
        heat.colorLabel = "share of the true class"
        heat.annotations = m.confusionMatrix.map { $0.map(String.init) }
        _ = report.addFigure(heat, id: "confusion-\(id)", caption: "Rows: true type; columns: predicted; numbers are cells, colour the share of the row.")
        var bars = BarChart(labels: m.perClass.map(\.label), values: m.perClass.map(\.f1),
                            options: PlotOptions(width: 640, height: 80 + 26 * Double(m.perClass.count), title: "F1 per class", xLabel: "F1"))
        bars.valueRange = 0...1
        bars.valueDecimals = 3
        _ = report.addFigure(bars, id: "f1-\(id)", caption: "F1 score of each true type.")
        let rows = perClassRows(m, baseline: a.baseline?.metrics)
        let columns = ["class", "precision", "recall", "F1", "support", "predicted"] + (a.baseline != nil ? ["F1 k-NN baseline"] : [])
        report.addTable(ReportTable(columns: columns, rows: rows, caption: "Per class", id: "per-class-\(id)", decimals: [1: 3, 2: 3, 3: 3, 6: 3]))
    }

    static func generation(_ g: GenerationReport, into report: inout HTMLReport) {
        _ = report.addSection("Generated cells", id: "generation")
        let ks = g.settings.ks
        var rows = g.knn.map { row -> [ReportValue] in
            [.text(row.name), .text(row.space), .integer(row.queryCount), .integer(row.referenceCount)]
                + ks.map { k in row.scores.first { $0.k == k }.map { .number($0.accuracy) } ?? .empty }
        }
        for m in g.knnMixMatched ?? [] {
            let real = g.knn.first { $0.space == m.space && $0.name == m.realRow }
            let generated = g.knn.first { $0.space == m.space && $0.name == m.generatedRow }
            rows.append([.text("real vs real on the generated cells' label mix"), .text(m.space),
                         generated.map { .integer($0.queryCount) } ?? .empty, real.map { .integer($0.referenceCount) } ?? .empty]
                        + ks.map { k in m.scores.first { $0.k == k }.map { .number($0.accuracy) } ?? .empty })
        }
        report.addTable(ReportTable(columns: ["row", "space", "queries", "references"] + ks.map { "k=\($0)" }, rows: rows,
                                    caption: "k-NN accuracy: the share of query cells whose k nearest reference cells mostly have the query's type. The real-vs-real rows are the reference a perfect generator would reach (\"on the generated cells' label mix\": each type's real-vs-real accuracy weighted by its share of the generated cells, the ceiling for the cells actually generated); the generated-vs-generated rows (leave-one-out) say how well the generated types separate from each other." + (g.knnChance.map { " Chance: \(percent($0))." } ?? ""),
                                    id: "knn-table", decimals: Dictionary(uniqueKeysWithValues: ks.indices.map { ($0 + 4, 3) })))
        // The registered metrics' rows (sentence quality, MMD, Gromov-Wasserstein, …), then the mean profiles.
        var quality = g.registered.details().map { ($0.name, $0.value) }
        quality.append(("mean-profile Pearson / Spearman / R² (mean over types)", "\(fmt(g.meanProfiles.meanPearson)) / \(fmt(g.meanProfiles.meanSpearman)) / \(fmt(g.meanProfiles.meanR2))"))
        if let null = g.profileNull {
            quality.append(("label-blind null of the mean-profile Pearson (each type's real mean vs the mean of all real cells)", fmt(null.meanPearson)))
        }
        if let ceiling = g.profileCeiling {
            quality.append(("real vs real mean-profile Pearson (as many real cells per type as were generated, against the rest of the type; mean of \(ceiling.draws) draws)", fmt(ceiling.meanPearson)))
        }
        report.addKeyValueTable(quality, caption: "Validity, uniqueness and distribution distances", id: "sentence-quality")
        for w in g.warnings { report.addParagraph("Warning: \(w)") }
    }

    static func profiles(_ p: MeanProfileResult, into report: inout HTMLReport) {
        _ = report.addSection("Mean profile per cell type", id: "profiles")
        report.addParagraph("Each point is a gene: its mean expression over the real cells of the type (x) and over the generated cells of the type (y); the dashed line is y = x.")
        // Small multiples side by side: one square scatter per type.
        var grid = "<div class=\"figure-grid\">"
        for (i, t) in p.perType.enumerated() where i < p.profiles.count {
            let pair = p.profiles[i]
            var plot = ScatterPlot(x: pair.real, y: pair.generated,
                                   options: PlotOptions(width: 340, height: 340, title: t.label,
                                                        subtitle: "Pearson \(fmt(t.pearson)), \(t.generatedCells) gen. / \(t.realCells) real",
                                                        xLabel: "real mean", yLabel: "generated mean"))
            plot.identityLine = true
            plot.color = CategoricalPalette.color(i)
            grid += "<figure id=\"profile-\(XMLEscaping.escape(slug(t.label)))\">\n\(plot.render())\n</figure>"
        }
        report.addRawHTML(grid + "</div>")
    }

    static func map(_ m: CellMap, into report: inout HTMLReport) {
        _ = report.addSection("Real and generated cells on the first two principal components", id: "map")
        // One colour per cell type over both maps and both panels.
        let names = Array(Set(m.real.labels + m.generated.labels)).sorted()
        let variance = m.explainedVarianceRatio.map { String(format: "%.1f%%", $0 * 100) }
        panels(real: m.real, generated: m.generated, names: names, id: "map",
               xLabel: "PC1 (\(variance.first ?? ""))", yLabel: "PC2 (\(variance.dropFirst().first ?? ""))", into: &report)
        report.addParagraph("PCA fitted on the real cells (\(m.genes) genes), generated cells projected onto the same components; both panels share axes and colours.")
        if let u = m.umap {
            _ = report.addSection("Real and generated cells on a UMAP", id: "umap")
            panels(real: u.real, generated: u.generated, names: names, id: "umap", xLabel: "UMAP 1", yLabel: "UMAP 2", into: &report)
            let s = u.settings
            report.addParagraph("UMAP of the real cells' first \(u.principalComponents) principal components (the PCA above): exact "
                + "\(u.neighbors) nearest neighbours (Euclidean), fuzzy simplicial set as in umap-learn (local connectivity 1, fuzzy union), "
                + "min_dist \(s.minDist), spread \(s.spread), \(s.initialization == .spectral ? "spectral" : "random") initialisation "
                + "(\(u.graphComponents) connected component\(u.graphComponents == 1 ? "" : "s")), \(u.epochs) epochs of stochastic "
                + "gradient descent with \(s.negativeSampleRate) negative samples per edge sample, seed \(s.seed). The map is fitted on "
                + "the real cells only; the generated cells are placed into it as umap-learn's transform does (started at the "
                + "membership-weighted mean of their \(u.neighbors) nearest real cells, then \(u.transformEpochs) epochs that move only "
                + "them), so the real panel does not depend on the generated cells. Both panels share axes and colours with each other "
                + "and colours with the PCA map. UMAP distances between clusters are not to scale.")
        } else if let note = m.umapNote {
            report.addParagraph("No UMAP is drawn: \(note).")
        }
    }

    /// Real and generated cells side by side on shared axes and colours.
    static func panels(real: (x: [Double], y: [Double], labels: [String]), generated: (x: [Double], y: [Double], labels: [String]),
                       names: [String], id: String, xLabel: String, yLabel: String, into report: inout HTMLReport) {
        let all = (real.x + generated.x).filter(\.isFinite), allY = (real.y + generated.y).filter(\.isFinite)
        let xr = (all.min() ?? 0)...(all.max() ?? 1), yr = (allY.min() ?? 0)...(allY.max() ?? 1)
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        for (title, cells) in [("real", real), ("generated", generated)] {
            var options = PlotOptions(width: 560, height: 440, title: "\(title) cells (\(cells.x.count))", xLabel: xLabel, yLabel: yLabel)
            options.xRange = xr
            options.yRange = yr
            var plot = ScatterPlot(x: cells.x, y: cells.y, categories: cells.labels.map { index[$0]! }, categoryNames: names, options: options)
            plot.legendCounts = true
            _ = report.addFigure(plot, id: "\(id)-\(title)")
        }
    }

    /// The per-class table: the model's scores and, with a baseline, the baseline's F1 of the
    /// same class, matched by label (the baseline's classes come from its training cells, so
    /// its list may hold classes the test cells lack, and positions differ).
    static func perClassRows(_ m: ClassificationMetrics, baseline: ClassificationMetrics?) -> [[ReportValue]] {
        let baselineF1 = Dictionary(baseline?.perClass.map { ($0.label, $0.f1) } ?? [], uniquingKeysWith: { first, _ in first })
        return m.perClass.map { c in
            var row: [ReportValue] = [.text(c.label), .number(c.precision), .number(c.recall), .number(c.f1), .integer(c.support), .integer(c.predicted)]
            if baseline != nil { row.append(baselineF1[c.label].map { .number($0) } ?? .empty) }
            return row
        }
    }

    /// Mean of each value and up to `window - 1` before it.
    static func runningMean(_ v: [Double], window: Int) -> [Double] {
        var out = [Double](repeating: 0, count: v.count), sum = 0.0
        for i in v.indices {
            sum += v[i]
            if i >= window { sum -= v[i - window] }
            out[i] = sum / Double(min(i + 1, window))
        }
        return out
    }

    static func slug(_ s: String) -> String {
        String(s.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    static func percent(_ v: Double) -> String { v.isFinite ? String(format: "%.1f%%", v * 100) : "n/a" }
    static func fmt(_ v: Double) -> String { v.isFinite ? String(format: "%.4g", v) : "n/a" }
}
