import Evaluation
import Foundation

/// The headline figures of a report, each with its references, from the metrics files the
/// report was given: what `c2s report eval` prints and puts at the top of the page.
public enum HeadlineFigures {
    /// The figures in page order: annotation, generation, label swap, training.
    public static func gather(_ inputs: EvaluationReportInputs) -> [HeadlineFigure] {
        var figures: [HeadlineFigure] = []
        for (name, a) in inputs.annotations { figures += annotation(name: name, a) }
        if let g = inputs.generation { figures += generation(g) }
        if let s = inputs.labelSwap { figures += labelSwap(s) }
        if let log = inputs.training { figures += training(log) }
        return figures
    }

    /// Accuracy against chance, the majority class and every baseline of the same test cells;
    /// weighted F1 against the baselines' weighted F1.
    static func annotation(name: String, _ a: AnnotationReport) -> [HeadlineFigure] {
        var accuracy: [HeadlineReference] = [], f1: [HeadlineReference] = []
        if let chance = a.baselines?.chance {
            accuracy.append(HeadlineReference("chance (1/\(chance.classes) classes)", chance.uniform))
            accuracy.append(HeadlineReference("majority class (\(chance.majorityClass))", chance.majorityClassAccuracy))
        } else {
            // Older reports have no chance levels; guessing among the true classes of the
            // evaluated cells is the nearest honest stand-in.
            let classes = a.metrics.perClass.filter { $0.support > 0 }.count
            if classes > 0 { accuracy.append(HeadlineReference("chance (1/\(classes) true classes)", 1 / Double(classes))) }
        }
        if let b = a.baseline {
            let what = "k-NN on all \(b.genes) genes (k=\(b.k))"
            accuracy.append(HeadlineReference(what, b.metrics.accuracy))
            f1.append(HeadlineReference(what, b.metrics.weighted.f1))
        }
        if let s = a.baselines {
            let lr = "logistic regression on \(s.logisticRegressionHVG.genes) HVGs"
            accuracy.append(HeadlineReference(lr, s.logisticRegressionHVG.metrics.accuracy))
            f1.append(HeadlineReference(lr, s.logisticRegressionHVG.metrics.weighted.f1))
            let knn = "k-NN on \(s.knnPCAHVG.components) PCs of \(s.knnPCAHVG.genes) HVGs (k=\(s.knnPCAHVG.k))"
            accuracy.append(HeadlineReference(knn, s.knnPCAHVG.metrics.accuracy))
            f1.append(HeadlineReference(knn, s.knnPCAHVG.metrics.weighted.f1))
        }
        // Then the registered metrics' own figures, named with the file's name like the two above.
        let registered = a.registered.headline().map { f in
            var f = f
            f.name += " (\(name))"
            return f
        }
        return [HeadlineFigure("annotation accuracy (\(name))", a.metrics.accuracy, unit: .share, references: accuracy),
                HeadlineFigure("annotation weighted F1 (\(name))", a.metrics.weighted.f1, unit: .number, references: f1)] + registered
    }

    /// Generated cells' k-NN accuracy and separation against chance and real vs real (the
    /// ceiling) in each space, at k = 10 (or the first k); mean-profile Pearson against its
    /// label-blind null; then the registered metrics' figures (``EvaluationMetric/headline(_:)``).
    static func generation(_ g: GenerationReport) -> [HeadlineFigure] {
        var figures: [HeadlineFigure] = []
        func score(_ row: KNNAccuracyRow) -> KNNAccuracy? { row.scores.first { $0.k == 10 } ?? row.scores.first }
        for row in g.knn where row.name.hasPrefix("generated") {
            guard let s = score(row) else { continue }
            var references: [HeadlineReference] = []
            if let chance = g.knnChance { references.append(HeadlineReference("chance (1/types)", chance)) }
            // The real cells scored the same way, in the same space and at the same k.
            if let real = g.knn.first(where: { $0.space == row.space && $0.name.hasPrefix("real vs real") }),
               let r = real.scores.first(where: { $0.k == s.k }) {
                references.append(HeadlineReference("real vs real (\(real.references.contains("leave-one-out") ? "leave-one-out" : "held-out vs train"))",
                                                    r.accuracy, kind: .ceiling))
            }
            // The same ceiling on the generated cells' label mix (equal numbers per type weigh
            // the small types, hard even for real cells, as much as the large ones).
            if row.name.hasPrefix("generated vs real"),
               let matched = g.knnMixMatched?.first(where: { $0.space == row.space && $0.generatedRow == row.name }),
               let m = matched.scores.first(where: { $0.k == s.k }) {
                references.append(HeadlineReference("real vs real on the generated cells' label mix", m.accuracy, kind: .ceiling))
            }
            let what = row.name.hasPrefix("generated vs generated") ? "separation of generated cells among themselves" : "generated cells' k-NN accuracy"
            figures.append(HeadlineFigure("\(what) (\(row.space), k=\(s.k))", s.accuracy, unit: .share, references: references))
        }
        figures.append(HeadlineFigure("mean-profile Pearson (mean over types)", g.meanProfiles.meanPearson, unit: .number,
                                      references: (g.profileNull.map { [HeadlineReference("label-blind null (mean of all real cells)", $0.meanPearson)] } ?? [])
                                        + (g.profileCeiling.map { [HeadlineReference("real vs real (as many real cells as generated)", $0.meanPearson, kind: .ceiling)] } ?? [])))
        // The registered metrics' own figures (validity and uniqueness against 100 %, …).
        return figures + g.registered.headline()
    }

    /// Own-label accuracy against chance, and the log-likelihood gap against the 0 of a model
    /// that ignores the label.
    static func labelSwap(_ s: LabelSwapFigures) -> [HeadlineFigure] {
        [HeadlineFigure("label swap: own label most likely (\(s.cells) cells, \(s.labels) labels)", s.accuracy, unit: .share,
                        references: [HeadlineReference("chance (1/\(s.labels) labels)", s.chance)]),
         HeadlineFigure("label swap: log-likelihood gap own - other labels, per cell", s.gapPerCell, unit: .nats,
                        references: [HeadlineReference("a model that ignores the label", 0)])]
    }

    /// The last validation loss, overall and per task (no reference: a loss is read against
    /// the curves in the report).
    static func training(_ log: TrainingLog) -> [HeadlineFigure] {
        guard let last = log.validation.last else { return [] }
        var figures = [HeadlineFigure("final validation loss (step \(Int(last.step)))", last.loss, unit: .number)]
        for task in log.validationByTask.keys.sorted() {
            if let l = log.validationByTask[task]?.last {
                figures.append(HeadlineFigure("final validation loss, \(task) (step \(Int(l.step)))", l.loss, unit: .number))
            }
        }
        return figures
    }
}
