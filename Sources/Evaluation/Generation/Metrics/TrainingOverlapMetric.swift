/// The memorisation check (``TrainingOverlap``), under "training_overlap": each generated
/// cell's nearest training cell (Jaccard index of their first `sentenceGenes` genes) beside
/// the same for held-out real cells. It runs when the evaluation is given the training and
/// held-out sentences (`c2s evaluate generation --sentences DIR --splits splits.json`); the
/// generated sentences are the sentence column when the file has one, else each cell's genes
/// ranked by value.
public enum TrainingOverlapMetric: EvaluationMetric {
    public static let key = "training_overlap"
    // No stage of its own (it takes well under a second): timed with the stage before it, and
    // absent runs leave the timings as they were.

    public static func compute(_ input: GenerationMetricInput, warnings: inout [String]) throws -> TrainingOverlap? {
        guard let references = input.trainingSentences else { return nil }
        guard !references.heldOut.isEmpty else {
            warnings.append("no held-out real cells in \(references.source): no training overlap (its reference is missing)")
            return nil
        }
        // The generated sentences as written, else each cell's genes ranked by value in X.
        let gen = input.generatedCells, column = input.settings.sentenceColumn, genes = input.settings.sentenceGenes
        let sentences: [[String]]
        if gen.hasColumn(column) {
            sentences = try gen.column(column).map { ($0 ?? "").split(separator: " ").prefix(genes).map(String.init) }
        } else {
            let ranked = TokenSequences.ranking(gen.matrix, ids: gen.genes.indices.map(Int32.init), limit: genes)
            sentences = (0 ..< ranked.count).map { ranked.sequence($0).map { gen.genes[Int($0)] } }
        }
        let cells: [TrainingOverlap.Cell] = zip(sentences, input.generatedLabels).map { ($0, $1) }
        var overlap = try TrainingOverlap(generated: cells, heldOut: references.heldOut, training: references.training,
                                          genes: input.settings.sentenceGenes)
        overlap.source = references.source
        return overlap
    }

    public static func summary(_ o: TrainingOverlap) -> [String] {
        let f = HeadlineFigure.Unit.number, s = HeadlineFigure.Unit.share
        return ["training overlap (nearest of \(o.trainingCells) training cells, Jaccard of the first \(o.genes) genes): "
                + "generated median \(f.format(o.generated.median)) (held-out real cells \(f.format(o.heldOut.median))), "
                + "near-copies (>= \(f.format(o.nearCopyThreshold))) \(s.format(o.generated.nearCopies)) (\(s.format(o.heldOut.nearCopies))), "
                + "exact copies \(o.generated.exactCopies) of \(o.generated.cells) (\(o.heldOut.exactCopies) of \(o.heldOut.cells))"]
    }

    /// The generated cells' median nearest overlap beside the held-out real cells': well above
    /// it, the model copies its training cells.
    public static func headline(_ o: TrainingOverlap) -> [HeadlineFigure] {
        [HeadlineFigure("generated cells' overlap with their nearest training cell (median Jaccard; above held-out: copying)",
                        o.generated.median, unit: .number,
                        references: [HeadlineReference("held-out real cells' overlap", o.heldOut.median, kind: .ceiling)]),
         HeadlineFigure("generated near-copies of a training cell (Jaccard >= \(HeadlineFigure.Unit.number.format(o.nearCopyThreshold)))",
                        o.generated.nearCopies, unit: .share,
                        references: [HeadlineReference("held-out real cells", o.heldOut.nearCopies, kind: .ceiling)])]
    }

    public static func details(_ o: TrainingOverlap) -> [MetricDetail] {
        let f = HeadlineFigure.Unit.number, s = HeadlineFigure.Unit.share
        func row(_ x: TrainingOverlap.Summary) -> String {
            "median \(f.format(x.median)), mean \(f.format(x.mean)), 90th percentile \(f.format(x.p90)); near-copies \(s.format(x.nearCopies)); exact copies \(x.exactCopies) of \(x.cells)"
        }
        var rows = [MetricDetail("training overlap: training cells, genes compared", "\(o.trainingCells), first \(o.genes)"),
                    MetricDetail("training overlap of generated cells", row(o.generated)),
                    MetricDetail("training overlap of held-out real cells", row(o.heldOut))]
        for l in o.perLabel {
            let g = l.generatedMedian.map(f.format) ?? "-", h = l.heldOutMedian.map(f.format) ?? "-"
            rows.append(MetricDetail("training overlap, \(l.label) (median: generated / held-out)", "\(g) (\(l.generatedCells) cells) / \(h) (\(l.heldOutCells))"))
        }
        return rows
    }
}
