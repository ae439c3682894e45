import C2S
import CellSentences
import Prompts
import TestSupport
import Transformer
import XCTest

/// Cell embeddings are the `Embedder` vectors of the fixed-template prompt, whatever the batch.
final class CellEmbedderTests: XCTestCase {
    func testEmbeddingsEqualEmbedderOnTheTemplateAndIgnoreTheBatch() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.bpeModel)
        var o = EmbeddingOptions()
        o.topGenes = C2SFixture.topGenes
        let embedder = CellEmbedder(model: model, prompt: try TaskPrompt(task: "cell_type_prediction", kind: .singleCell, template: 2), options: o)
        let cells = Array(try CellTable.load(f.sentences, maxGenes: C2SFixture.topGenes).cells.prefix(6))
        let together = try embedder.embed(cells)
        XCTAssertEqual(together.count, 6)
        XCTAssertTrue(together.allSatisfy { $0.count == model.language.info.hiddenSize })
        let template = BuiltinTasks.named("cell_type_prediction")!.inputTemplates[1]
        for (i, cell) in cells.enumerated() {
            let text = try template.render(PromptValues.singleCell(cell, topK: C2SFixture.topGenes, organism: "Homo sapiens", labelColumn: nil))
            XCTAssertEqual(try embedder.modelInput(cell), text)
            let direct = try Embedder(model: model.language).embed([model.tokenizer.encode(text)], pooling: .mean)[0]
            let alone = try embedder.embed([cell])[0]
            // A differently composed batch: the cell between two others.
            let mixed = try embedder.embed([cells[(i + 1) % 6], cell, cells[(i + 2) % 6]])[1]
            for j in direct.indices {
                XCTAssertEqual(together[i][j], direct[j], accuracy: 1e-5)
                XCTAssertEqual(alone[j], direct[j], accuracy: 1e-5)
                XCTAssertEqual(mixed[j], direct[j], accuracy: 1e-5)
            }
        }
    }
}
