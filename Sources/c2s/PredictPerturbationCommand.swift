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
            sentence: greedy by default (--sample to sample with --top-k/--top-p; \
            --samples-per-cell N for N sampled cells per control cell, whose mean estimates the \
            perturbed population better than one greedy answer), constrained \
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

    @Option(help: "Predicted cells per control cell, drawn with --sample (named CELL-1, CELL-2, ...; obs control_cell and draw say whose and which).")
    var samplesPerCell = 1

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
            let model = try modelOptions.load()
            let topGenes = model.topGenes(modelOptions.topGenes)
            var s = PerturbationPredictionSettings(task: task, prompt: try modelOptions.prompt(task, kind: .perturbation, model: model), perturbation: perturbation,
                                                   input: try inputOptions.taskInput(control), output: output)
            s.labelColumn = labelColumn
            // The end token waits for all the genes asked for: a short answer would read as
            // genes switched off in the reconstructed expression.
            s.options = decoding.options(sample: sample, numGenes: topGenes, batchSize: runOptions.batchSize,
                                         maxTokensPerPass: modelOptions.maxTokensPerPass, defaultMinGenes: topGenes)
            s.constrained = !decoding.unconstrained
            s.organism = model.organism(modelOptions.organism)
            s.topGenes = topGenes
            s.samplesPerCell = samplesPerCell
            s.chunks = runOptions.chunks
            s.identity = modelOptions.settings(model).merging(decoding.settings(sample: sample)) { a, _ in a }
            let r = try runOptions.withProgress { try PerturbationPrediction.run(model: model, settings: s, onEvent: $0) }
            guard !runOptions.quiet else { return }
            printError(String(format: "%d perturbed cells predicted (%@) in %.2f s -> %@: %.1f words per cell, validity %.2f%%, uniqueness %.2f%%",
                              r.cells, runOptions.describe((r.chunksComputed, r.chunksReused)), r.seconds, output,
                              Double(r.summary.words) / Double(max(1, r.summary.sentences)), r.summary.validity * 100, r.summary.uniqueness * 100))
        }
    }
}
