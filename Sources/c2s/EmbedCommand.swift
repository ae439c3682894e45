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
            let started = Date()
            let model = try modelOptions.load()
            var options = EmbeddingOptions()
            options.pooling = Pooling(rawValue: pooling)!
            options.topGenes = model.topGenes(modelOptions.topGenes)
            options.organism = model.organism(modelOptions.organism)
            options.maxTokensPerPass = modelOptions.maxTokensPerPass
            let embedder = CellEmbedder(model: model, prompt: try modelOptions.prompt(task, kind: .singleCell), options: options)

            var settings = modelOptions.settings(model).merging(try inputOptions.settings(input: input)) { a, _ in a }
            settings.merge(["command": "embed", "task": task, "pooling": pooling, "chunk_size": String(runOptions.chunkSize)]) { a, _ in a }
            let store = try ChunkStore(output: output, settings: settings, resume: runOptions.resume, overwrite: runOptions.overwrite)
            try store.cleaningUp {
                let (cells, selected) = try inputOptions.open(input, model: model, topGenes: options.topGenes, store: store, quiet: runOptions.quiet)
                let chunks = runOptions.run(store, count: selected.count)
                let bar = ProgressBar(quiet: runOptions.quiet)
                let done = try chunks.run(progress: { bar.update("embedding", $0, $1) }) { range in
                    let batch = range.map { cells.table.cells[selected[$0]] }
                    return try zip(batch, embedder.embed(batch)).map { cell, vector in
                        var line = ResultLine()
                        line.add("cell_name", cell.name)
                        line.add("embedding", floats: vector)
                        return line.text
                    }
                }
                bar.finish()

                var table = ResultTable()
                table.index = selected.map { cells.table.cells[$0].name }
                for field in cells.table.fieldNames { table.add(field, selected.map { cells.table.cells[$0].fields[field] }) }
                let width = model.language.info.hiddenSize
                var values: [Float] = []
                values.reserveCapacity(selected.count * width)
                var row = 0
                try chunks.forEachChunk { lines in
                    for text in lines {
                        let o = try ResultLine.parse(text, file: store.folder)
                        guard o["cell_name"] as? String == table.index[row], let v = ResultLine.floats(o["embedding"]), v.count == width else {
                            throw FileError(store.folder, "a saved chunk does not match this run; start again with --overwrite")
                        }
                        values += v
                        row += 1
                    }
                }
                try table.writeH5AD(output, obsm: ["X_c2s": (rows: selected.count, cols: width, values: values)])
                store.remove()
                if !runOptions.quiet {
                    printError(String(format: "%d cells embedded (%d dimensions, %@ pooling, %@) in %.2f s -> %@", selected.count, width, pooling,
                                      runOptions.describe(done), Date().timeIntervalSince(started), output))
                }
            }
        }
    }
}
