import C2S
import Foundation
import Prompts
import TestSupport
import Transformer
import XCTest

/// Classifier-free guidance in `CellGenerator`: a guided conditional request is compared with
/// the unconditional_generation prompt, and guidance on a model that never learned that task
/// is an error that says how to train one.
final class CellGuidanceTests: XCTestCase {
    func options(guidance: Float) -> SentenceGenerationOptions {
        var o = SentenceGenerationOptions()
        o.numGenes = 8
        o.maxNewTokens = 60
        o.guidance = guidance
        return o
    }

    /// The fixture's gene model with a `c2s.json` that lists unconditional_generation too.
    func modelWithUnconditionalTask(_ f: C2SFixture, in folder: TemporaryFolder) throws -> C2SModel {
        let path = folder.file("model")
        try FileManager.default.copyItem(atPath: f.geneModel, toPath: path)
        let url = URL(fileURLWithPath: path + "/c2s.json")
        var meta = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        meta["tasks"] = ["cell_type_prediction", "cell_type_generation", "unconditional_generation"]
        try JSONSerialization.data(withJSONObject: meta).write(to: url)
        return try C2SModel(folder: path)
    }

    func testGuidedRequestsUseTheUnconditionalGenerationPrompt() throws {
        let f = try C2SFixture.get()
        let folder = try TemporaryFolder()
        let model = try modelWithUnconditionalTask(f, in: folder)
        let genes = try GeneWords(genes: try model.requireSentences(for: "test").genes, model: model)
        let sentences = try SentenceGenerator(model: model, genes: genes, options: options(guidance: 3))
        let g = try CellGenerator(generator: sentences, conditional: try TaskPrompt(task: "cell_type_generation", kind: .singleCell),
                                  unconditional: try TaskPrompt(task: CellGenerator.unconditionalTask, kind: .singleCell), organism: "Homo sapiens")
        let requests = [CellGenerator.Request(label: f.labels[0], count: 5)]
        let guided = try g.generate(requests, range: 0..<5)
        let inputs = try (0..<5).map { _ in try g.modelInput(label: f.labels[0]) }
        // The first unconditional_generation template, written out here rather than rendered.
        let twin = "Generate a cell sentence: the 8 most highly expressed genes of a single Homo sapiens cell, in order of decreasing expression:"
        XCTAssertEqual(guided, try sentences.generate(inputs, firstIndex: 0, unconditional: Array(repeating: twin, count: 5)))
        // Another twin gives other cells, so the comparison above says which twin was used.
        let other = try g.modelInput(label: f.labels[1])
        XCTAssertNotEqual(guided, try sentences.generate(inputs, firstIndex: 0, unconditional: Array(repeating: other, count: 5)))
    }

    func testGuidanceNeedsAModelThatLearnedUnconditionalGeneration() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.geneModel)
        let genes = try GeneWords(genes: try model.requireSentences(for: "test").genes, model: model)
        let prompt = try TaskPrompt(task: "cell_type_generation", kind: .singleCell)
        let unconditional = try TaskPrompt(task: CellGenerator.unconditionalTask, kind: .singleCell)
        XCTAssertThrowsError(try CellGenerator(generator: try SentenceGenerator(model: model, genes: genes, options: options(guidance: 2)),
                                               conditional: prompt, unconditional: unconditional, organism: "Homo sapiens")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(f.geneModel), text)
            XCTAssertTrue(text.contains("--task unconditional_generation:W"), text)
        }
        // Without guidance the same model is fine.
        XCTAssertNoThrow(try CellGenerator(generator: try SentenceGenerator(model: model, genes: genes, options: options(guidance: 1)),
                                           conditional: prompt, unconditional: nil, organism: "Homo sapiens"))
        XCTAssertThrowsError(try SentenceGenerator(model: model, genes: genes, options: options(guidance: 0)))
    }
}
