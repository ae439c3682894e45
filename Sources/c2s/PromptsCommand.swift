import ArgumentParser
import C2S
import CellSentences
import Foundation
import Mechanics
import Prompts
import SingleCell

struct PromptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts",
        abstract: "Build prompt datasets (model_input, response) for Cell2Sentence tasks.",
        discussion: """
            Tasks: \(BuiltinTasks.all.map(\.name).joined(separator: ", ")), or your own from \
            --task-file. Each line of the output is a JSON object with task, split, cell_name \
            (or cell_names for multi-cell and perturbation examples), model_input, response and \
            input_sentence_spans ([[start, end], ...]: the code points of model_input that hold each \
            cell sentence, e.g. to shorten an over-long input by dropping its lowest-ranked genes). \
            The model sees model_input + " " + response: input templates end with ":" or "?", \
            responses have no leading space; add the end-of-sequence token when training.

            Splits are made once (seeded, stratified by --stratify-by, grouped by --group-by so \
            that no donor is in two splits) and written to splits.json beside the output; pass \
            --splits FILE to reuse them so a model's test cells stay unseen across runs.

            Examples:
              c2s prompts pbmc-sentences --task cell_type_prediction --label-column cell_type -o prompts.jsonl
              c2s prompts pbmc-sentences --task cell_type_prediction:0.5 --task cell_type_generation:0.5 \\
                  --label-column cell_type --stratify-by cell_type -o mix.jsonl
              c2s prompts kang-sentences --task perturbation_prediction --perturbation-column stim \\
                  --control-value CTRL --match-columns seurat_annotations --label-column seurat_annotations -o pert.jsonl

            Perturbation prompts need no cell type column: without one (no --label-column, and \
            no cell_type in the dataset) all cells form one group for pairing controls with \
            perturbed cells, and the prompts say the cell type is "\(PromptValues.unknownLabel)".
            """)

    @Argument(help: "A sentence dataset folder (or its cells.jsonl).")
    var dataset: String

    @Option(name: .shortAndLong, help: "Output JSONL file.")
    var output: String

    @OptionGroup var prompt: PromptTaskArguments

    @Option(help: "Number of examples to draw when tasks have weights (default: number of cells).")
    var examples: Int?

    @Option(help: ArgumentHelp("Instead of --examples: this many examples per cell of the dataset, so the count follows its size (e.g. 2 with weights 2:1:1: the first task reaches about every cell once).", valueName: "x"))
    var examplesPerCell: Double?

    @Option(help: ArgumentHelp("Draw this task's weighted examples evenly over labels (comma-separated tasks, e.g. cell_type_generation): every cell type is conditioned on equally often, a rare type's cells recurring more.", valueName: "tasks"))
    var balanceLabels: String?

    @Option(help: ArgumentHelp("Training prompts show each cell with noise on its gene order: gene i (from 0) is re-ranked by log(i + 1) + σ·N(0, 1), so a cell drawn several times is seen as several plausible measurements (deep genes move most). Validation and test prompts, and responses, stay as measured. 0: none.", valueName: "σ"))
    var rankNoise = 0.0

    @Option(help: "Train,validation,test fractions.")
    var splitFractions = "0.8,0.1,0.1"

    @Option(help: "Column to stratify splits by (e.g. cell type).")
    var stratifyBy: String?

    @Option(help: "Comma-separated columns; cells sharing their values stay in one split (e.g. donor).")
    var groupBy: String?

    @Option(help: "Reuse the splits in this splits.json instead of making new ones.")
    var splits: String?

    @Option(help: "Seed for splits, groups, pairs, template choice and mixing.")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (default: all cores); the output is the same for any number.")
    var threads: Int?

    @Flag(help: "Replace the output (and splits.json) if they exist.")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    static func columns(_ s: String?) -> [String] { PromptTaskArguments.columns(s) }

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let n = examples, n < 1 { throw ValidationError("--examples must be at least 1") }
        if !(rankNoise.isFinite && rankNoise >= 0) { throw ValidationError("--rank-noise must be a finite number ≥ 0, got \(rankNoise)") }
    }

    /// The options as the library takes them.
    func settings() throws -> PromptDatasetSettings {
        var s = try prompt.settings(dataset: dataset, output: output)
        s.examples = examples
        s.examplesPerCell = examplesPerCell
        s.balancedTasks = Set(Self.columns(balanceLabels))
        s.rankNoise = try RankNoise(sigma: rankNoise)
        if splits == nil { s.splitFractions = try SplitFractions(argument: splitFractions) }
        s.stratifyBy = stratifyBy
        s.groupBy = Self.columns(groupBy)
        s.splits = splits
        s.seed = seed
        s.threads = threads ?? Parallel.defaultThreads
        s.overwrite = overwrite
        return s
    }

    func run() throws {
        try CLIErrors.run {
            let r = try PromptDatasetWriting.run(try settings())
            guard !quiet else { return }
            for (task, bySplit) in r.summary.counts.sorted(by: { $0.key < $1.key }) {
                let parts = ["train", "validation", "test"].compactMap { s in bySplit[s].map { "\(s) \($0)" } }
                printError("\(task): \(parts.joined(separator: ", "))")
            }
            r.notes.forEach { printError("note: \($0)") }
            if r.summary.skippedMissingValues > 0 {
                printError("warning: \(r.summary.skippedMissingValues) cell(s) or group(s) lacked a value a task needs (label or text) and were left out")
            }
            if r.summary.unmatchedPerturbed > 0 {
                printError("warning: \(r.summary.unmatchedPerturbed) perturbed cell(s) had no control with the same \(r.matchColumns.joined(separator: ", ")) and were skipped")
            }
            printError(String(format: "%d examples from %d cells -> %@ (splits: %@), %.2f s (load %.2f s, splits %.2f s, format %.3f s [CPU %.3f s], write %.2f s)",
                              r.summary.total, r.cells, output, r.splitsPath, r.seconds, r.loadSeconds, r.splitSeconds,
                              r.summary.formatSeconds, r.formatCPUSeconds, r.writeSeconds))
        }
    }
}
