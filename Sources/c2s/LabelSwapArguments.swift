import ArgumentParser
import C2S
import CellSentences
import Foundation
import Prompts
import SingleCell
import Transformer

/// The options of the label-swap test in `c2s evaluate generation`, and the step that turns
/// them into a ready test (model loaded, cells read and selected) before any work is done.
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

    /// A test ready to run, with the cells it is offered.
    struct Prepared {
        let test: LabelSwapTest
        let cells: [CellRecord]
        let labelColumn: String
        let sentences: String

        /// Runs it with a progress bar; a problem with the cells is reported against the cell file.
        func run(quiet: Bool) throws -> LabelSwapResult {
            let bar = ProgressBar(quiet: quiet)
            defer { bar.finish() }
            do {
                return try test.run(cells, labelColumn: labelColumn, progress: { bar.update("label-swap test", $0, $1, unit: "cell-label pairs") })
            } catch let e as DataError {
                throw FileError(sentences, e.message)
            }
        }
    }

    /// Loads the model and the cells (nil without --model). Errors name the file: a model
    /// without learned labels, cells without the label column, a split that keeps nothing.
    func prepare(labelColumn: String, seed: UInt64, threads: Int, quiet: Bool) throws -> Prepared? {
        guard let model, let sentences else { return nil }
        // The model's matrix products use the same threads as our kernels (as the task commands do).
        Matmul.setThreads(KernelThreads.count)
        let loaded = try C2SModel(folder: model)
        let task = "cell_type_generation"
        let labels = loaded.metadata?.labels(for: task) ?? []
        guard labels.count >= 2 else {
            let file = loaded.metadata?.path ?? (model as NSString).appendingPathComponent(C2SMetadata.fileName)
            let why = loaded.metadata == nil ? "does not exist (it is written by 'c2s train' with the labels the model learned)"
                : labels.isEmpty ? "lists no labels" : "lists only one label (\(labels[0]))"
            throw FileError(file, "\(why); the label-swap test scores each cell under every learned label, so it needs at least two")
        }
        if !quiet, let w = loaded.taskWarning(task) { printError("warning: \(w)") }
        if !quiet && topGenes == nil && loaded.metadata?.topGenes == nil {
            // Scoring more genes than the model was trained to write measures something else.
            printError("warning: \(loaded.metadata?.path ?? model) records no genes per cell (top_k); scoring each cell's top \(loaded.topGenes(nil)) genes; pass --top-genes with the --top-k the training prompts used")
        }
        let prompt = try TaskPrompt(task: task, kind: .singleCell, template: template)
        var options = LabelSwapOptions()
        options.topGenes = loaded.topGenes(topGenes)
        options.organism = loaded.organism(organism)
        options.maxCells = labelSwapCells
        options.seed = seed
        options.maxTokensPerPass = maxTokensPerPass
        let test = try LabelSwapTest(model: loaded, prompt: prompt, labels: labels, options: options)

        let table = try CellSentences.CellTable.load(sentences, maxGenes: options.topGenes, threads: threads)
        guard table.fieldNames.contains(labelColumn) else {
            throw FileError(sentences, "has no column '\(labelColumn)' (the cells' labels, --label-column); columns: \(table.fieldNames.joined(separator: ", "))")
        }
        var selection = CellSelection()
        if let splits {
            selection.splits = try SplitPlan.read(path: splits)
            selection.split = split
        }
        let kept: [Int]
        do {
            kept = try selection.apply(to: table)
        } catch let e as DataError {
            throw FileError(splits ?? sentences, e.message)
        }
        return Prepared(test: test, cells: kept.map { table.cells[$0] }, labelColumn: labelColumn, sentences: sentences)
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
