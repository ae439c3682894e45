import ArgumentParser
import C2S
import Foundation
import Prompts
import SingleCell

struct PredictPerturbationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict-perturbation",
        abstract: "Predict how control cells respond to a perturbation: sentences and reconstructed expression.",
        discussion: """
            Each control cell (INPUT, or the cells of it selected with --where, e.g. \
            --where stim=CTRL) gets the perturbation_prediction prompt: its sentence, the \
            perturbation's name (--perturbation) and its cell type (the --label-column value), \
            with one fixed template (--template). The model writes the perturbed cell's \
            sentence: greedy by default (--sample to sample with --top-k/--top-p), constrained \
            to genes of the training vocabulary, each once (--unconstrained to lift that), with \
            the end token forbidden until it has --top-genes genes (--min-genes to change), and \
            stopped after --top-genes genes. When a prompt would leave too little of the \
            model's context for that many genes, the control sentence loses its last genes, \
            as training cut over-long examples.

            Without a cell type column (no --label-column, and the input lacks the training \
            label column or cell_type), the prompts say the cell type is \
            "\(PromptValues.unknownLabel)", as c2s prompts wrote them for such data.

            Output: X holds each predicted cell's reconstructed expression (the training data's \
            inverse transform), obs the control cell's name (index) and columns, the \
            perturbation, the predicted cell_sentence and the post-processing counts.

            Example:
              c2s predict-perturbation --model kang-model --control kang.h5ad --where stim=CTRL \\
                  --where seurat_annotations=B --perturbation "interferon-beta stimulation" \\
                  --label-column seurat_annotations -o b-stim.h5ad
            """)

    @Option(help: "Control cells: a count matrix or sentence dataset.")
    var control: String

    @Option(help: "The perturbation's name, as in the training prompts.")
    var perturbation: String

    @Option(help: "Column giving each control cell's cell type (the prompt's {label}; default: the training label column, else cell_type).")
    var labelColumn: String?

    @Flag(help: "Sample instead of greedy search.")
    var sample = false

    @Option(help: "The task whose prompt is used.")
    var task = "perturbation_prediction"

    @Option(name: .shortAndLong, help: "The .h5ad file to write.")
    var output: String

    @OptionGroup(title: "Decoding") var decoding: SentenceDecodingArguments
    @OptionGroup(title: "Model") var modelOptions: C2SModelOptions
    @OptionGroup(title: "Input") var inputOptions: CellInputArguments
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func run() throws {
        try CLIErrors.run {
            let started = Date()
            let model = try modelOptions.load()
            let dataset = try model.requireSentences(for: "predicting perturbed cells (constraining genes and reconstructing expression)")
            _ = try dataset.model()
            if !runOptions.quiet, let w = model.taskWarning(task) { printError("warning: \(w)") }
            let topGenes = model.topGenes(modelOptions.topGenes)
            let column = labelColumn ?? model.metadata?.labelColumn ?? "cell_type"
            // The end token waits for all the genes asked for: a short answer would read as
            // genes switched off in the reconstructed expression.
            let options = decoding.options(sample: sample, numGenes: topGenes, batchSize: runOptions.batchSize,
                                           maxTokensPerPass: modelOptions.maxTokensPerPass, defaultMinGenes: topGenes)
            let generator = try SentenceGenerator(model: model, genes: try decoding.genes(model, dataset: dataset, quiet: runOptions.quiet), options: options)
            let prompt = try modelOptions.prompt(task, kind: .perturbation)

            var settings = modelOptions.settings(model).merging(try inputOptions.settings(input: control)) { a, _ in a }
            settings.merge(decoding.settings(sample: sample)) { a, _ in a }
            settings.merge(["command": "predict-perturbation", "task": task, "perturbation": perturbation, "label_column": column,
                            "chunk_size": String(runOptions.chunkSize)]) { a, _ in a }
            let store = try ChunkStore(output: output, settings: settings, resume: runOptions.resume, overwrite: runOptions.overwrite)
            try store.cleaningUp {
                let (cells, selected) = try inputOptions.open(control, model: model, topGenes: topGenes, store: store, quiet: runOptions.quiet)
                let usesLabel = prompt.template.placeholders.contains("label")
                var missingLabel: String?
                if usesLabel && !cells.table.fieldNames.contains(column) {
                    // A column asked for by name, or recorded by training, must be there;
                    // otherwise neither had cell types, and the prompts say so as the training
                    // prompts did.
                    guard labelColumn == nil && model.metadata?.labelColumn == nil else {
                        throw DataError("the prompt names each cell's cell type, but the input has no column '\(column)'; choose one with --label-column (columns: \(cells.table.fieldNames.joined(separator: ", ")))")
                    }
                    missingLabel = PromptValues.unknownLabel
                    if !runOptions.quiet {
                        printError("note: the input has no cell type column '\(column)': the prompts say the cell type is '\(PromptValues.unknownLabel)'")
                    }
                }
                let predictor = PerturbationPredictor(generator: generator, prompt: prompt, perturbation: perturbation, labelColumn: column,
                                                      topGenes: topGenes, organism: model.organism(modelOptions.organism), missingLabel: missingLabel)
                let chunks = runOptions.run(store, count: selected.count)
                let bar = ProgressBar(quiet: runOptions.quiet)
                let done = try chunks.run(progress: { bar.update("predicting", $0, $1) }) { range in
                    let batch = range.map { cells.table.cells[selected[$0]] }
                    return try zip(batch, predictor.predict(batch, firstIndex: range.lowerBound)).map { cell, s in
                        let fields = cells.table.fieldNames.compactMap { f in cell.fields[f].map { (f, $0) } } + [("perturbation", perturbation)]
                        return GeneratedCellsWriter.line(name: cell.name, fields: fields, sentence: s)
                    }
                }
                bar.finish()
                let summary = try GeneratedCellsWriter.write(chunks, dataset: dataset, output: output)
                store.remove()
                if !runOptions.quiet {
                    printError(String(format: "%d perturbed cells predicted (%@) in %.2f s -> %@: %.1f words per cell, validity %.2f%%, uniqueness %.2f%%",
                                      selected.count, runOptions.describe(done), Date().timeIntervalSince(started), output,
                                      Double(summary.words) / Double(max(1, summary.sentences)), summary.validity * 100, summary.uniqueness * 100))
                }
            }
        }
    }
}
