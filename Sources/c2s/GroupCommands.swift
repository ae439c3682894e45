import ArgumentParser
import C2S
import Foundation
import Prompts
import SingleCell

/// Options of the multi-cell commands: how cells are grouped.
struct GroupArguments: ParsableArguments {
    @Option(help: "Comma-separated columns: cells sharing their values form groups (e.g. donor,tissue).")
    var groupColumns: String

    @Option(help: "Cells per group, N or MIN-MAX (each group of equal values is cut into chunks of this size).")
    var groupSize = "3-5"

    @Option(help: "Seed of the cells' order within a group.")
    var groupSeed: UInt64 = 0

    var columns: [String] { PromptsCommand.columns(groupColumns) }

    func sizes() throws -> ClosedRange<Int> { try Self.sizes(groupSize) }

    /// Parses `--group-size`: N or MIN-MAX.
    static func sizes(_ text: String) throws -> ClosedRange<Int> {
        let s = text.split(separator: "-").compactMap { Int($0) }
        guard s.count == 1 || s.count == 2, s.allSatisfy({ $0 >= 1 }), s.first! <= s.last! else {
            throw DataError("--group-size must be N or MIN-MAX with 1 <= MIN <= MAX, not '\(text)'")
        }
        return s.first!...s.last!
    }

    var settings: [String: String] { ["group_columns": groupColumns, "group_size": groupSize, "group_seed": String(groupSeed)] }
}

/// The shared run of `predict-tissue` and `interpret` (``GroupAnswering``): groups of cells,
/// one answer per group, written as CSV (or JSON lines when OUTPUT ends in .jsonl). Each
/// command declares its own options and defaults; the run reads them here.
protocol GroupTaskCommand: ParsableCommand {
    var input: String { get }
    var output: String { get }
    var task: String { get }
    var maxNewTokens: Int { get }
    var groups: GroupArguments { get }
    var modelOptions: C2SModelOptions { get }
    var inputOptions: CellInputArguments { get }
    var runOptions: RunOptions { get }
}

extension GroupTaskCommand {
    /// Runs the command `command` in `mode`, choosing among `labels` (a file) when constrained.
    func runGroupTask(command: String, mode: AnnotationMode, labels: String?) throws {
        try CLIErrors.run {
            try answerGroups(command: command, mode: mode, labels: labels)
        }
    }

    private func answerGroups(command: String, mode: AnnotationMode, labels: String?) throws {
        let model = try modelOptions.load()
        var s = GroupAnsweringSettings(command: command, task: task, prompt: try modelOptions.prompt(task, kind: .multiCell, model: model),
                                       input: try inputOptions.taskInput(input), groupColumns: groups.columns, output: output)
        s.options = modelOptions.annotationOptions(model: model, mode: mode, maxNewTokens: maxNewTokens, batchSize: runOptions.batchSize)
        if mode == .constrained { s.givenLabels = try labels.map(LabelFile.read) }
        s.groupSizes = try groups.sizes()
        s.groupSeed = groups.groupSeed
        s.chunks = runOptions.chunks
        s.identity = modelOptions.settings(model).merging(groups.settings) { a, _ in a }
        let r = try runOptions.withProgress { try GroupAnswering.run(model: model, settings: s, onEvent: $0) }
        guard !runOptions.quiet else { return }
        printError(String(format: "%d groups of %@ cells answered (%@, %@) in %.2f s -> %@", r.groups, groups.groupSize, mode.rawValue,
                          runOptions.describe((r.chunksComputed, r.chunksReused)), r.seconds, output))
    }
}

struct PredictTissueCommand: GroupTaskCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict-tissue",
        abstract: "Predict the tissue (or any group label the model learned) of groups of cells.",
        discussion: """
            Cells of INPUT sharing the values of --group-columns are cut into groups of \
            --group-size cells (as 'c2s prompts' groups them), and each group gets the \
            tissue_prediction prompt ("Cell 1: ...", one line per cell, top --top-genes genes \
            each) with one fixed template. --mode constrained (default) chooses the most likely \
            of the labels the model learned for the task (or --labels FILE); --mode free \
            generates greedily.

            Output: CSV (JSON lines if OUTPUT ends in .jsonl), one row per group: the group's \
            column values, n_cells, cell_names (joined by ";"), c2s_label (+ c2s_score, \
            c2s_probability).

            Example:
              c2s predict-tissue --model atlas-model atlas.h5ad --group-columns donor,tissue -o tissues.csv
            """)

    @Argument(help: "Count matrix or sentence dataset.")
    var input: String

    @Option(name: .shortAndLong, help: "CSV (or .jsonl) file to write.")
    var output: String

    @Option(help: "free (greedy generation) or constrained (the most likely known label).")
    var mode: AnnotationMode = .constrained

    @Option(help: "Labels to choose among, one per line (default: those in the model's c2s.json).")
    var labels: String?

    @Option(help: "Longest free answer, in tokens.")
    var maxNewTokens = 32

    @Option(help: "The task whose prompt is used.")
    var task = "tissue_prediction"

    @OptionGroup(title: "Groups") var groups: GroupArguments
    @OptionGroup(title: "Model") var modelOptions: C2SModelOptions
    @OptionGroup(title: "Input") var inputOptions: CellInputArguments
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func run() throws {
        try runGroupTask(command: "predict-tissue", mode: mode, labels: labels)
    }
}

struct InterpretCommand: GroupTaskCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpret",
        abstract: "Describe groups of cells in natural language (text out).",
        discussion: """
            Cells of INPUT sharing the values of --group-columns are cut into groups of \
            --group-size cells, and for each group the model writes a text from the \
            natural_language_interpretation prompt (one fixed template), greedily, until its \
            end-of-sequence token or --max-new-tokens.

            Output: CSV (JSON lines if OUTPUT ends in .jsonl), one row per group: the group's \
            column values, n_cells, cell_names, c2s_text, c2s_finish_reason.

            Example:
              c2s interpret --model atlas-model atlas.h5ad --group-columns study -o abstracts.jsonl
            """)

    @Argument(help: "Count matrix or sentence dataset.")
    var input: String

    @Option(name: .shortAndLong, help: "CSV (or .jsonl) file to write.")
    var output: String

    @Option(help: "Longest text, in tokens.")
    var maxNewTokens = 256

    @Option(help: "The task whose prompt is used.")
    var task = "natural_language_interpretation"

    @OptionGroup(title: "Groups") var groups: GroupArguments
    @OptionGroup(title: "Model") var modelOptions: C2SModelOptions
    @OptionGroup(title: "Input") var inputOptions: CellInputArguments
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func run() throws {
        try runGroupTask(command: "interpret", mode: .free, labels: nil)
    }
}
