import ArgumentParser
import C2S
import Foundation

/// The options of the label-swap test in `c2s evaluate generation` (and of the training
/// overlap's cells), turned into the library's settings.
struct LabelSwapArguments: ParsableArguments {
    @Option(help: "C2S model folder: run the label-swap test on it (needs --sentences and the labels in its c2s.json).")
    var model: String?

    @Option(help: "Sentence dataset of real cells (a 'c2s convert' folder or its cells.jsonl), labels in --label-column: the label-swap test's cells (with --model) and, with --generated and --splits, the training overlap's training and held-out cells.")
    var sentences: String?

    @Option(help: "A splits.json from 'c2s prompts': score only the cells of --split (held out from training); with --generated, also the training overlap (split train against --split).")
    var splits: String?

    @Option(help: "The split of --splits to score.")
    var split = "test"

    @Option(help: "Cells scored at most (seeded subsample, --seed); each is scored under every label.")
    var labelSwapCells = 200

    @Option(help: "Genes of each real cell scored (default: the model's training value, else 200).")
    var topGenes: Int?

    @Option(help: "Input template of cell_type_generation, counted from 1.")
    var template = 1

    @Option(help: "Organism named in the prompts (default: the training value, else Homo sapiens).")
    var organism: String?

    @Option(help: "Most tokens fed through the model in one pass.")
    var maxTokensPerPass = 8192

    /// `generated`: whether generated cells are evaluated too (then --sentences alone is enough:
    /// with --splits it gives the training overlap).
    func check(generated: Bool) throws {
        if labelSwapCells < 1 { throw ValidationError("--label-swap-cells must be at least 1 (it caps the cells of the label-swap test)") }
        if let topGenes, topGenes < 1 { throw ValidationError("--top-genes must be at least 1") }
        if template < 1 { throw ValidationError("--template counts from 1") }
        if maxTokensPerPass < 1 { throw ValidationError("--max-tokens-per-pass must be at least 1") }
        if model != nil && sentences == nil {
            throw ValidationError("the label-swap test needs both --model (the model) and --sentences (the real cells)")
        }
        if model == nil && sentences != nil && !generated {
            throw ValidationError("--sentences serves the label-swap test (give --model) or, with --generated and --splits, the training overlap")
        }
        if sentences == nil && splits != nil { throw ValidationError("--splits selects cells of --sentences; give --sentences (and --model for the label-swap test)") }
    }

    /// The test's settings (nil without --model).
    func settings(labelColumn: String, seed: UInt64, threads: Int) -> LabelSwapSettings? {
        guard let model, let sentences else { return nil }
        var s = LabelSwapSettings(model: model, sentences: sentences, threads: threads)
        s.splits = splits
        s.split = split
        s.labelColumn = labelColumn
        s.maxCells = labelSwapCells
        s.topGenes = topGenes
        s.template = template
        s.organism = organism
        s.maxTokensPerPass = maxTokensPerPass
        s.seed = seed
        return s
    }

    /// The training overlap's cells (nil without --sentences and --splits).
    var trainingOverlap: TrainingOverlapSource? {
        guard let sentences, let splits else { return nil }
        return TrainingOverlapSource(sentences: sentences, splits: splits, heldOutSplit: split)
    }

    /// The terminal lines of a result.
    static func summary(_ r: LabelSwapResult) -> String {
        let o = r.overall
        // Gaps with significant digits, not fixed decimals: a label-blind model's gap is tiny
        // and its size and sign are the point.
        var lines = [String(format: "label swap (%d cells, %d labels, %.1f response tokens per cell): log-likelihood per token own %.4f, others %.4f; gap %+.3g per token, %+.3g per cell",
                            r.cellsScored, r.labels.count, r.meanResponseTokens, o.ownPerToken, o.othersPerToken, o.gapPerToken, o.gapPerCell),
                     "  own label most likely: \(SummaryFormat.percent(o.accuracy)) of cells (chance \(SummaryFormat.percent(r.chance)))"]
        for g in r.perLabel {
            lines.append(String(format: "  %@: %d cells, gap %+.3g per token, own most likely %@, chosen for %@ of all cells",
                                g.label ?? "", g.cells, g.gapPerToken, SummaryFormat.percent(g.accuracy), SummaryFormat.percent(r.chosenShare[g.label ?? ""] ?? .nan)))
        }
        if r.cellsWithUnknownLabel > 0 || r.cellsWithoutLabel > 0 {
            lines.append("  left out: \(r.cellsWithUnknownLabel) cell(s) with a label the model did not learn, \(r.cellsWithoutLabel) without a label")
        }
        return lines.joined(separator: "\n")
    }
}
