import CellSentences
import Foundation
import Prompts
import SingleCell

/// Where the label-swap test's model and cells come from, and its options as the user gave
/// them (unset ones default to the model's training values).
public struct LabelSwapSettings: Sendable {
    /// The C2S model folder (its `c2s.json` lists the labels it learned).
    public var model: String
    /// The sentence dataset of real cells (a `c2s convert` folder or its `cells.jsonl`).
    public var sentences: String
    /// A splits.json whose split `split` holds the cells scored (all cells when nil).
    public var splits: String?
    public var split = "test"
    /// The column of `sentences` with each cell's true label.
    public var labelColumn = "cell_type"
    /// Cells scored at most (a seeded subsample, `seed`, when more).
    public var maxCells = 200
    /// Genes scored per cell (nil: the model's training value, else 200).
    public var topGenes: Int?
    /// Input template of `cell_type_generation`, counted from 1.
    public var template = 1
    /// Organism named in the prompts (nil: the training value, else Homo sapiens).
    public var organism: String?
    public var maxTokensPerPass = 8192
    public var seed: UInt64 = 0
    /// Worker threads reading the cells.
    public var threads: Int

    public init(model: String, sentences: String, threads: Int) {
        self.model = model
        self.sentences = sentences
        self.threads = threads
    }
}

/// A label-swap test ready to run: the model loaded, its labels checked, the cells read and
/// selected, so that a bad model or cell file fails before any long work starts.
public struct LabelSwapSetup {
    public let test: LabelSwapTest
    /// The cells offered to the test (the chosen split's, or all).
    public let cells: [CellRecord]
    public let labelColumn: String
    /// The sentence dataset the cells came from (named in errors about them).
    public let sentences: String

    /// The task whose prompt the cells are scored under.
    public static let task = "cell_type_generation"

    /// Loads the model and the cells. `warning` hears what the user should know (a model not
    /// trained on the task, no recorded genes per cell). Errors name the file: a model without
    /// two learned labels, cells without the label column, a split that keeps nothing.
    public static func load(_ s: LabelSwapSettings, warning: (String) -> Void) throws -> LabelSwapSetup {
        let loaded = try C2SModel(folder: s.model)
        let labels = loaded.metadata?.labels(for: task) ?? []
        guard labels.count >= 2 else {
            let file = loaded.metadata?.path ?? (s.model as NSString).appendingPathComponent(C2SMetadata.fileName)
            let why = loaded.metadata == nil ? "does not exist (it is written by 'c2s train' with the labels the model learned)"
                : labels.isEmpty ? "lists no labels" : "lists only one label (\(labels[0]))"
            throw FileError(file, "\(why); the label-swap test scores each cell under every learned label, so it needs at least two")
        }
        if let w = loaded.taskWarning(task) { warning(w) }
        if s.topGenes == nil && loaded.metadata?.topGenes == nil {
            // Scoring more genes than the model was trained to write measures something else.
            warning("\(loaded.metadata?.path ?? s.model) records no genes per cell (top_k); scoring each cell's top \(loaded.topGenes(nil)) genes; pass --top-genes with the --top-k the training prompts used")
        }
        let prompt = try TaskPrompt(task: task, kind: .singleCell, template: s.template)
        var options = LabelSwapOptions()
        options.topGenes = loaded.topGenes(s.topGenes)
        options.organism = loaded.organism(s.organism)
        options.maxCells = s.maxCells
        options.seed = s.seed
        options.maxTokensPerPass = s.maxTokensPerPass
        let test = try LabelSwapTest(model: loaded, prompt: prompt, labels: labels, options: options)

        let table = try CellTable.load(s.sentences, maxGenes: options.topGenes, threads: s.threads)
        guard table.fieldNames.contains(s.labelColumn) else {
            throw FileError(s.sentences, "has no column '\(s.labelColumn)' (the cells' labels, --label-column); columns: \(table.fieldNames.joined(separator: ", "))")
        }
        var selection = CellSelection()
        if let splits = s.splits {
            selection.splits = try SplitPlan.read(path: splits)
            selection.split = s.split
        }
        let kept: [Int]
        do {
            kept = try selection.apply(to: table)
        } catch let e as DataError {
            throw FileError(s.splits ?? s.sentences, e.message)
        }
        return LabelSwapSetup(test: test, cells: kept.map { table.cells[$0] }, labelColumn: s.labelColumn, sentences: s.sentences)
    }

    /// Runs the test; `progress(done, total)` counts scored (cell, label) pairs. A problem
    /// with the cells is reported against the cell file.
    public func run(progress: ((Int, Int) -> Void)? = nil) throws -> LabelSwapResult {
        do {
            return try test.run(cells, labelColumn: labelColumn, progress: progress)
        } catch let e as DataError {
            throw FileError(sentences, e.message)
        }
    }
}
