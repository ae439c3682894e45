import Foundation
import SingleCell

/// What an embedding run needs besides the model.
public struct CellEmbeddingSettings: Sendable {
    public var task: String
    public var prompt: TaskPrompt
    public var options = EmbeddingOptions()
    public var input: CellTaskInput
    /// The `.h5ad` with the input's columns in obs and the embeddings in `obsm["X_c2s"]`.
    public var output: String
    public var chunks = ChunkSettings()
    /// What of the model and prompt changes the results (checked on resume).
    public var modelIdentity: [String: String] = [:]

    public init(task: String, prompt: TaskPrompt, input: CellTaskInput, output: String) {
        self.task = task
        self.prompt = prompt
        self.input = input
        self.output = output
    }
}

/// How an embedding run went.
public struct CellEmbeddingResult: Sendable {
    public var cells: Int
    public var dimensions: Int
    public var chunksComputed: Int
    public var chunksReused: Int
    public var seconds: Double
}

/// Embedding every selected cell with a C2S model (its prompt's hidden states, pooled): the
/// workflow behind `c2s embed`. Saved chunk by chunk, so an interrupted run resumes.
public enum CellEmbedding {
    public typealias Event = CellTaskEvent

    public static func run(model: C2SModel, settings s: CellEmbeddingSettings,
                           onEvent: @escaping (Event) -> Void = { _ in }) throws -> CellEmbeddingResult {
        let started = Date()
        let embedder = CellEmbedder(model: model, prompt: s.prompt, options: s.options)
        return try CellTaskRun.run(model: model, input: s.input, topGenes: s.options.topGenes, output: s.output, identity: s.modelIdentity,
                                   adding: ["command": "embed", "task": s.task, "pooling": s.options.pooling.rawValue,
                                            "chunk_size": String(s.chunks.chunkSize)],
                                   chunks: s.chunks, onEvent: onEvent) { store, cells, selected in
            let chunks = s.chunks.run(store, count: selected.count)
            let done = try chunks.run(progress: { onEvent(.progress(phase: "embedding", done: $0, total: $1)) }) { range in
                let batch = range.map { cells.table.cells[selected[$0]] }
                return try zip(batch, embedder.embed(batch)).map { cell, vector in
                    var line = ResultLine()
                    line.add("cell_name", cell.name)
                    line.add("embedding", floats: vector)
                    return line.text
                }
            }
            let table = ResultTable(cells: cells.table, rows: selected)
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
            try table.writeH5AD(s.output, obsm: ["X_c2s": (rows: selected.count, cols: width, values: values)])
            store.remove()
            return CellEmbeddingResult(cells: selected.count, dimensions: width, chunksComputed: done.computed,
                                       chunksReused: done.reused, seconds: Date().timeIntervalSince(started))
        }
    }
}
