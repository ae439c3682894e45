import ArgumentParser
import C2S
import Foundation
import Prompts
import SingleCell
import Transformer

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed every cell with a C2S model (obsm[\"X_c2s\"]).",
        discussion: """
            Each cell's text is the model input of --task (default cell_type_prediction, as the \
            reference embeds) rendered with one fixed template for the whole run (--template, \
            default 1: "The following are the {num_genes} most highly expressed genes of a \
            single {organism} cell, ordered by decreasing expression: {cell_sentence}. What is \
            the cell type of this cell?"), with the cell's top --top-genes genes. Its vector is \
            the mean of the model's final hidden states (after the final norm) over the text's \
            own tokens (--pooling last-token: the last token's state). Sequences are never \
            padded, so a cell's vector does not depend on the other cells in its batch (the \
            reference averages over padding).

            INPUT is a count matrix (converted on the fly with the training data's settings) or \
            a sentence dataset. Output: an .h5ad with the embeddings in obsm["X_c2s"] (float32, \
            cells x hidden size), the input's columns in obs, and no genes.

            Example:
              c2s embed --model pbmc-model pbmc.h5ad -o embedded.h5ad
            """)

    @Argument(help: "Count matrix or sentence dataset.")
    var input: String

    @Option(name: .shortAndLong, help: "The .h5ad file to write.")
    var output: String

    @Option(help: "mean or last-token.")
    var pooling = "mean"

    @Option(help: "The task whose prompt is embedded.")
    var task = "cell_type_prediction"

    @OptionGroup(title: "Model") var modelOptions: C2SModelOptions
    @OptionGroup(title: "Input") var inputOptions: CellInputArguments
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
        if Pooling(rawValue: pooling) == nil { throw ValidationError("--pooling must be mean or last-token") }
    }

    func run() throws {
        try CLIErrors.run {
            let model = try modelOptions.load()
            var s = CellEmbeddingSettings(task: task, prompt: try modelOptions.prompt(task, kind: .singleCell, model: model),
                                          input: try inputOptions.taskInput(input), output: output)
            s.options.pooling = Pooling(rawValue: pooling)!
            s.options.topGenes = model.topGenes(modelOptions.topGenes)
            s.options.organism = model.organism(modelOptions.organism)
            s.options.maxTokensPerPass = modelOptions.maxTokensPerPass
            s.chunks = runOptions.chunks
            s.modelIdentity = modelOptions.settings(model)
            let r = try runOptions.withProgress { try CellEmbedding.run(model: model, settings: s, onEvent: $0) }
            guard !runOptions.quiet else { return }
            printError(String(format: "%d cells embedded (%d dimensions, %@ pooling, %@) in %.2f s -> %@", r.cells, r.dimensions, pooling,
                              runOptions.describe((r.chunksComputed, r.chunksReused)), r.seconds, output))
        }
    }
}
