import CellSentences
import Foundation
import Prompts
import SingleCell
import Transformer

/// Settings of cell embedding.
public struct EmbeddingOptions: Sendable {
    public var pooling = Pooling.mean
    public var topGenes = 200
    public var organism = "Homo sapiens"
    public var maxTokensPerPass = 8192

    public init() {}
}

/// Cell embeddings: each cell's prompt (one fixed template for the whole call; the reference
/// embeds the cell type prediction prompt, with a random template per cell) run through the
/// model, its final hidden states pooled (`Embedder`: the mean over the cell's own tokens by
/// default). Sequences are never padded, so a cell's vector depends only on the cell.
public struct CellEmbedder: Sendable {
    public let model: C2SModel
    public let prompt: TaskPrompt
    public let options: EmbeddingOptions

    public init(model: C2SModel, prompt: TaskPrompt, options: EmbeddingOptions) {
        self.model = model
        self.prompt = prompt
        self.options = options
    }

    /// The text embedded for one cell.
    public func modelInput(_ cell: CellRecord) throws -> String {
        try prompt.render(PromptValues.singleCell(cell, topK: options.topGenes, organism: options.organism, labelColumn: nil, style: prompt.style))
    }

    /// One `hiddenSize` vector per cell, in order.
    public func embed(_ cells: [CellRecord]) throws -> [[Float]] {
        let ids = model.tokenizer.encodeBatch(try cells.map(modelInput))
        return try Embedder(model: model.language).embed(ids, pooling: options.pooling, maxTokensPerPass: options.maxTokensPerPass)
    }
}
