import C2S
import CellSentences
import Foundation
import Prompts
import SingleCell
import TestSupport
import XCTest

/// The embedding workflow as a library call (what `c2s embed` wraps): the selected cells'
/// vectors in obsm["X_c2s"] equal the CellEmbedder's, in input order.
final class CellEmbeddingTests: XCTestCase {
    func testWritesTheEmbedderVectorsOfTheSelectedCells() throws {
        let f = try C2SFixture.get()
        let tmp = try TemporaryFolder()
        let model = try C2SModel(folder: f.geneModel)
        var input = CellTaskInput(path: f.sentences)
        input.conditions = [(column: "cell_type", value: f.labels[1])]
        let prompt = try TaskPrompt(task: "cell_type_prediction", kind: .singleCell)
        var s = CellEmbeddingSettings(task: "cell_type_prediction", prompt: prompt, input: input, output: tmp.file("e.h5ad"))
        s.options.topGenes = C2SFixture.topGenes
        s.chunks.chunkSize = 3
        let r = try CellEmbedding.run(model: model, settings: s)

        let chosen = try CellTable.load(f.sentences, maxGenes: C2SFixture.topGenes).cells.filter { $0.fields["cell_type"] == f.labels[1] }
        XCTAssertEqual(r.cells, chosen.count)
        XCTAssertEqual(r.dimensions, model.language.info.hiddenSize)
        let direct = try CellEmbedder(model: model, prompt: prompt, options: s.options).embed(chosen)
        let out = try H5File(readingAt: tmp.file("e.h5ad")).root().group("obsm").dataset("X_c2s")
        XCTAssertEqual(out.shape, [chosen.count, r.dimensions])
        let values = try out.read(Float.self)
        for (i, vector) in direct.enumerated() {
            for (k, x) in vector.enumerated() { XCTAssertEqual(values[i * r.dimensions + k], x, accuracy: 1e-5) }
        }
        XCTAssertEqual(try H5ADSource(path: tmp.file("e.h5ad")).obs.index, chosen.map(\.name))
    }
}
