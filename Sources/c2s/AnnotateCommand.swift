import ArgumentParser
import C2S
import Foundation
import Prompts
import SingleCell

extension AnnotationMode: ExpressibleByArgument {}

struct AnnotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Predict the cell type (or any label the model learned) of every cell.",
        discussion: """
            INPUT is a count matrix (.h5ad, 10x, .mtx, .csv), converted on the fly with the gene \
            naming, tie order and seed of the model's training data (no cell is filtered out \
            unless --apply-filters), or a sentence dataset from 'c2s convert'. Cells need no \
            label. Each cell's prompt is the task's input template number --template (the same \
            for every cell) with its top --top-genes genes.

            --mode constrained (default): every label the model was trained on (c2s.json, or \
            --labels FILE) is scored by the model's log-likelihood of separator + label + end of \
            sequence after the prompt, and the most likely one is chosen. --mode free: greedy \
            generation as the reference does, the answer being the text generated before the \
            end-of-sequence token (at most --max-new-tokens).

            Output: an .h5ad whose obs holds the input's columns and c2s_label (+ c2s_score, the \
            natural-log likelihood; c2s_probability, its share among the labels; and \
            c2s_score_<label> for every label), with no genes (join it to your data by cell \
            name), and the same table as CSV (--csv, default OUTPUT with .csv).

            Examples:
              c2s annotate --model pbmc-model pbmc.h5ad -o annotated.h5ad
              c2s annotate --model pbmc-model pbmc-sentences --splits splits.json --split test \\
                  --compare-column cell_type -o test.h5ad
              c2s annotate --model pbmc-model pbmc.h5ad --mode free --max-new-tokens 16 -o free.h5ad
            """)

    @Argument(help: "Count matrix or sentence dataset.")
    var input: String

    @Option(name: .shortAndLong, help: "The .h5ad file to write.")
    var output: String

    @Option(help: "The CSV file to write (default: OUTPUT with .csv).")
    var csv: String?

    @Option(help: "free (greedy generation) or constrained (the most likely known label).")
    var mode: AnnotationMode = .constrained

    @Option(help: "Labels to choose among, one per line (default: those in the model's c2s.json).")
    var labels: String?

    @Option(help: "The task whose prompt is used.")
    var task = "cell_type_prediction"

    @Option(help: "Longest free answer, in tokens.")
    var maxNewTokens = 32

    @Option(help: "An obs column holding true labels: report the accuracy against it.")
    var compareColumn: String?

    @OptionGroup(title: "Model") var modelOptions: C2SModelOptions
    @OptionGroup(title: "Input") var inputOptions: CellInputArguments
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
        if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1") }
    }

    var csvPath: String { csv ?? ((output as NSString).deletingPathExtension + ".csv") }

    func run() throws {
        try CLIErrors.run {
            let started = Date()
            let model = try modelOptions.load()
            let prompt = try modelOptions.prompt(task, kind: .singleCell)
            var options = AnnotationOptions()
            options.mode = mode
            options.maxNewTokens = maxNewTokens
            options.topGenes = model.topGenes(modelOptions.topGenes)
            options.organism = model.organism(modelOptions.organism)
            options.batchSize = runOptions.batchSize
            options.maxTokensPerPass = modelOptions.maxTokensPerPass
            let given = try labels.map(LabelFile.read)
            if mode == .constrained { options.labels = try model.requireLabels(task: task, given: given) }
            let annotator = try Annotator(model: model, prompt: prompt, options: options)
            if !runOptions.quiet, let w = model.taskWarning(task) { printError("warning: \(w)") }
            let same = { (a: String, b: String) in URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path }
            if same(csvPath, input) || same(csvPath, output) {
                throw FileError(csvPath, "the CSV output would replace \(same(csvPath, input) ? "the input" : "the .h5ad output"); name it with --csv PATH")
            }
            if FileManager.default.fileExists(atPath: csvPath) && !runOptions.overwrite {
                throw FileError(csvPath, "already exists; pass --overwrite to replace it")
            }

            var settings = modelOptions.settings(model).merging(inputOptions.settings(input: input)) { a, _ in a }
            settings.merge(["command": "annotate", "task": task, "mode": mode.rawValue, "labels": options.labels.joined(separator: "\n"),
                            "max_new_tokens": String(maxNewTokens), "chunk_size": String(runOptions.chunkSize)]) { a, _ in a }
            let store = try ChunkStore(output: output, settings: settings, resume: runOptions.resume, overwrite: runOptions.overwrite)
            try store.cleaningUp {
            let (cells, selected) = try inputOptions.open(input, model: model, topGenes: options.topGenes, store: store, quiet: runOptions.quiet)
            if let c = compareColumn, !cells.table.fieldNames.contains(c) {
                throw DataError("--compare-column: the input has no column '\(c)'; columns: \(cells.table.fieldNames.joined(separator: ", "))")
            }
            let chunks = runOptions.run(store, count: selected.count)
            let bar = ProgressBar(quiet: runOptions.quiet)
            let done = try chunks.run(progress: { bar.update("annotating", $0, $1) }) { range in
                let batch = range.map { cells.table.cells[selected[$0]] }
                return try zip(batch, annotator.annotate(batch)).map { cell, a in
                    var line = ResultLine()
                    line.add("cell_name", cell.name)
                    line.add("label", a.label)
                    if let s = a.logLikelihood { line.add("score", s) }
                    if let p = a.probability { line.add("probability", p) }
                    if !a.scores.isEmpty { line.add("scores", a.scores) }
                    if let f = a.finishReason { line.add("finish_reason", f.rawValue); line.add("tokens", a.tokens) }
                    line.add("prompt_tokens", a.promptTokens)
                    return line.text
                }
            }
            bar.finish()

            // Results table: the input's columns, then the predictions.
            var table = ResultTable()
            table.index = selected.map { cells.table.cells[$0].name }
            for field in cells.table.fieldNames {
                table.add(field, selected.map { cells.table.cells[$0].fields[field] })
            }
            var predicted: [String?] = [], scores: [Double?] = [], probabilities: [Double?] = []
            var perLabel = [[Double?]](repeating: [], count: options.labels.count)
            var reasons: [String?] = [], tokens: [String?] = []
            var promptTokens = 0
            var row = 0
            try chunks.forEachChunk { lines in
                for text in lines {
                    let o = try ResultLine.parse(text, file: store.folder)
                    guard o["cell_name"] as? String == table.index[row] else {
                        throw FileError(store.folder, "a saved chunk is for other cells than this run's; start again with --overwrite")
                    }
                    predicted.append(o["label"] as? String)
                    scores.append((o["score"] as? NSNumber)?.doubleValue)
                    probabilities.append((o["probability"] as? NSNumber)?.doubleValue)
                    let s = (o["scores"] as? [NSNumber])?.map(\.doubleValue) ?? []
                    for k in perLabel.indices { perLabel[k].append(k < s.count ? s[k] : nil) }
                    reasons.append(o["finish_reason"] as? String)
                    tokens.append((o["tokens"] as? NSNumber).map { String($0.intValue) })
                    promptTokens += (o["prompt_tokens"] as? NSNumber)?.intValue ?? 0
                    row += 1
                }
            }
            table.add("c2s_label", predicted)
            if mode == .constrained {
                table.add("c2s_score", numbers: scores)
                table.add("c2s_probability", numbers: probabilities)
                for (k, label) in options.labels.enumerated() { table.add("c2s_score_" + label, numbers: perLabel[k]) }
            } else {
                table.add("c2s_tokens", tokens)
                table.add("c2s_finish_reason", reasons)
                let known = given ?? model.metadata?.labels(for: task) ?? []
                if !known.isEmpty {
                    let set = Set(known)
                    table.add("c2s_known_label", predicted.map { $0.map { set.contains($0) ? "true" : "false" } })
                }
            }
            try table.writeH5AD(output)
            try table.writeCSV(csvPath, overwrite: true)
            store.remove()

            if !runOptions.quiet {
                let seconds = Date().timeIntervalSince(started)
                printError(String(format: "%d cells annotated (%@, %@; mean prompt %.0f tokens) in %.2f s -> %@, %@", selected.count, mode.rawValue,
                                  runOptions.describe(done), Double(promptTokens) / Double(max(1, selected.count)), seconds, output, csvPath))
                let counts = Dictionary(grouping: predicted.compactMap { $0 }, by: { $0 }).mapValues(\.count)
                let top = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(8)
                printError("labels: " + top.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + (counts.count > 8 ? ", ..." : ""))
                if let c = compareColumn {
                    let truth = selected.map { cells.table.cells[$0].fields[c] }
                    let pairs = zip(truth, predicted).filter { $0.0 != nil }
                    let right = pairs.filter { $0.0 == $0.1 }.count
                    printError(String(format: "accuracy against %@: %.2f%% (%d of %d cells with a value)", c,
                                      100 * Double(right) / Double(max(1, pairs.count)), right, pairs.count))
                }
            }
            }
        }
    }
}
