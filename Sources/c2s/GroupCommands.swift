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

    func sizes() throws -> ClosedRange<Int> {
        let s = groupSize.split(separator: "-").compactMap { Int($0) }
        guard s.count == 1 || s.count == 2, s.allSatisfy({ $0 >= 1 }), s.first! <= s.last! else {
            throw DataError("--group-size must be N or MIN-MAX with 1 <= MIN <= MAX, not '\(groupSize)'")
        }
        return s.first!...s.last!
    }

    var settings: [String: String] { ["group_columns": groupColumns, "group_size": groupSize, "group_seed": String(groupSeed)] }
}

/// The shared run of `predict-tissue` and `interpret`: groups of cells, one answer per group,
/// written as CSV (or JSON lines when OUTPUT ends in .jsonl).
struct GroupTaskRun {
    let command: String
    let task: String
    let input: String
    let output: String
    let mode: AnnotationMode
    let labels: String?
    let maxNewTokens: Int
    let groups: GroupArguments
    let modelOptions: C2SModelOptions
    let inputOptions: CellInputArguments
    let runOptions: RunOptions

    func run() throws {
        let started = Date()
        let model = try modelOptions.load()
        var options = AnnotationOptions()
        options.mode = mode
        options.maxNewTokens = maxNewTokens
        options.topGenes = model.topGenes(modelOptions.topGenes)
        options.organism = model.organism(modelOptions.organism)
        options.batchSize = runOptions.batchSize
        options.maxTokensPerPass = modelOptions.maxTokensPerPass
        if mode == .constrained { options.labels = try model.requireLabels(task: task, given: try labels.map(LabelFile.read)) }
        let annotator = try Annotator(model: model, prompt: try modelOptions.prompt(task, kind: .multiCell), options: options)
        if !runOptions.quiet, let w = model.taskWarning(task) { printError("warning: \(w)") }
        let sizes = try groups.sizes()

        var settings = modelOptions.settings(model).merging(try inputOptions.settings(input: input)) { a, _ in a }
        settings.merge(groups.settings) { a, _ in a }
        settings.merge(["command": command, "task": task, "mode": mode.rawValue, "labels": options.labels.joined(separator: "\n"),
                        "max_new_tokens": String(maxNewTokens), "chunk_size": String(runOptions.chunkSize)]) { a, _ in a }
        let store = try ChunkStore(output: output, settings: settings, resume: runOptions.resume, overwrite: runOptions.overwrite)
        try store.cleaningUp {
            let (cells, selected) = try inputOptions.open(input, model: model, topGenes: options.topGenes, store: store, quiet: runOptions.quiet)
            let found = try CellGrouping.groups(cells: cells.table.cells, indices: selected, by: groups.columns, sizes: sizes, seed: groups.groupSeed)
            guard !found.isEmpty else {
                throw DataError("no group of at least \(sizes.lowerBound) cells sharing \(groups.columns.joined(separator: ", ")) among the \(selected.count) input cells")
            }
            let chunks = runOptions.run(store, count: found.count)
            let bar = ProgressBar(quiet: runOptions.quiet)
            let done = try chunks.run(progress: { bar.update(command, $0, $1) }) { range in
                let inputs = try range.map { try annotator.modelInput(group: found[$0].members.map { cells.table.cells[$0] }) }
                return try zip(range, annotator.answer(inputs)).map { g, a in
                    var line = ResultLine()
                    line.add("group", "group_\(g + 1)")
                    line.add("label", a.label)
                    if let s = a.logLikelihood { line.add("score", s) }
                    if let p = a.probability { line.add("probability", p) }
                    if let f = a.finishReason { line.add("finish_reason", f.rawValue) }
                    return line.text
                }
            }
            bar.finish()

            var table = ResultTable(indexName: "group")
            table.index = found.indices.map { "group_\($0 + 1)" }
            for (k, column) in groups.columns.enumerated() { table.add(column, found.map { $0.key[k] }) }
            table.add("n_cells", found.map { String($0.members.count) })
            table.add("cell_names", found.map { $0.members.map { cells.table.cells[$0].name }.joined(separator: ";") })
            var answers: [String?] = [], scores: [Double?] = [], probabilities: [Double?] = [], reasons: [String?] = []
            try chunks.forEachChunk { lines in
                for text in lines {
                    let o = try ResultLine.parse(text, file: store.folder)
                    guard o["group"] as? String == table.index[answers.count] else {
                        throw FileError(store.folder, "a saved chunk does not match this run; start again with --overwrite")
                    }
                    answers.append(o["label"] as? String)
                    scores.append((o["score"] as? NSNumber)?.doubleValue)
                    probabilities.append((o["probability"] as? NSNumber)?.doubleValue)
                    reasons.append(o["finish_reason"] as? String)
                }
            }
            table.add(task == "natural_language_interpretation" ? "c2s_text" : "c2s_label", answers)
            if mode == .constrained {
                table.add("c2s_score", numbers: scores)
                table.add("c2s_probability", numbers: probabilities)
            } else {
                table.add("c2s_finish_reason", reasons)
            }
            if output.lowercased().hasSuffix(".jsonl") { try writeJSONLines(table) } else { try table.writeCSV(output, overwrite: true) }
            store.remove()
            if !runOptions.quiet {
                printError(String(format: "%d groups of %@ cells answered (%@, %@) in %.2f s -> %@", found.count, groups.groupSize, mode.rawValue,
                                  runOptions.describe(done), Date().timeIntervalSince(started), output))
            }
        }
    }

    func writeJSONLines(_ table: ResultTable) throws {
        let out = try AtomicOutput(output, folder: false, overwrite: true)
        let writer = try BufferedFileWriter(out.temporary, displayPath: output)
        for r in table.index.indices {
            var line = ResultLine()
            line.add(table.indexName, table.index[r])
            for c in table.columns { if let v = c.values[r] { line.add(c.name, v) } }
            try writer.write(line.text + "\n")
        }
        try writer.close()
        try out.commit()
    }
}

struct PredictTissueCommand: ParsableCommand {
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
        try CLIErrors.run {
            try GroupTaskRun(command: "predict-tissue", task: task, input: input, output: output, mode: mode, labels: labels,
                             maxNewTokens: maxNewTokens, groups: groups, modelOptions: modelOptions, inputOptions: inputOptions,
                             runOptions: runOptions).run()
        }
    }
}

struct InterpretCommand: ParsableCommand {
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
        try CLIErrors.run {
            try GroupTaskRun(command: "interpret", task: task, input: input, output: output, mode: .free, labels: nil,
                             maxNewTokens: maxNewTokens, groups: groups, modelOptions: modelOptions, inputOptions: inputOptions,
                             runOptions: runOptions).run()
        }
    }
}
