import C2S
import CellSentences
import Prompts
import TestSupport
import Transformer
import XCTest

/// Generated sentences: with the gene constraint every word is a vocabulary gene and none
/// repeats; sentences stop at the genes asked for; results do not depend on batching.
final class SentenceGenerationTests: XCTestCase {
    func generator(_ model: C2SModel, constrained: Bool, numGenes: Int, batchSize: Int = 16, temperature: Float = 1) throws -> SentenceGenerator {
        var o = SentenceGenerationOptions()
        o.constrained = constrained
        o.numGenes = numGenes
        o.batchSize = batchSize
        o.sampling.temperature = temperature
        o.maxNewTokens = 300
        let genes = constrained ? try GeneWords(genes: try model.requireSentences(for: "test").genes, model: model) : nil
        return try SentenceGenerator(model: model, genes: genes, options: o)
    }

    func testConstrainedSentencesAreValidUniqueGenesByConstruction() throws {
        let f = try C2SFixture.get()
        for path in [f.bpeModel, f.geneModel] {
            let model = try C2SModel(folder: path)
            let vocabulary = Set(try model.requireSentences(for: "test").genes)
            let g = try CellGenerator(generator: try generator(model, constrained: true, numGenes: 25, temperature: 2),
                                  conditional: try TaskPrompt(task: "cell_type_generation", kind: .singleCell), unconditional: nil,
                                  organism: "Homo sapiens")
            let requests = f.labels.map { CellGenerator.Request(label: $0, count: 6) }
            let out = try g.generate(requests, range: 0..<18)
            XCTAssertEqual(out.count, 18)
            var reachedTarget = 0
            for s in out {
                let words = s.sentence.split(separator: " ").map(String.init)
                XCTAssertTrue(words.allSatisfy(vocabulary.contains), "\(path): not a gene in \(s.sentence)")
                XCTAssertEqual(Set(words).count, words.count, "\(path): repeated gene in \(s.sentence)")
                XCTAssertLessThanOrEqual(words.count, 25)
                if s.finishReason == "num_genes" { XCTAssertEqual(words.count, 25); reachedTarget += 1 }
                // Post-processing agrees: all words valid and distinct.
                let parsed = SentencePostProcessor.parse(s.sentence, lookup: GeneLookup(Array(vocabulary)))
                XCTAssertEqual(parsed.validWords, parsed.words)
                XCTAssertEqual(parsed.uniqueGenes, parsed.words)
            }
            XCTAssertGreaterThan(reachedTarget, 0, "no sentence reached the genes asked for")
        }
    }

    func testSentencesDoNotDependOnBatchesOrChunks() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.bpeModel)
        let prompt = try TaskPrompt(task: "cell_type_generation", kind: .singleCell)
        let requests = [CellGenerator.Request(label: f.labels[0], count: 4), CellGenerator.Request(label: f.labels[1], count: 3)]
        let whole = try CellGenerator(generator: try generator(model, constrained: true, numGenes: 8, batchSize: 7),
                                      conditional: prompt, unconditional: nil, organism: "Homo sapiens").generate(requests, range: 0..<7)
        let pieces = try CellGenerator(generator: try generator(model, constrained: true, numGenes: 8, batchSize: 2),
                                   conditional: prompt, unconditional: nil, organism: "Homo sapiens")
        let split = try pieces.generate(requests, range: 0..<3) + pieces.generate(requests, range: 3..<7)
        XCTAssertEqual(whole, split)
        XCTAssertGreaterThan(Set(whole.map(\.sentence)).count, 1, "sampling should vary between cells")
    }

    func testUnconstrainedGenerationStopsAfterTheGenesAskedFor() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.bpeModel)
        let g = try generator(model, constrained: false, numGenes: 5)
        let out = try g.generate(["Generate a cell:", "Genes:"], firstIndex: 0)
        for s in out {
            XCTAssertLessThanOrEqual(s.sentence.split(separator: " ").count, 5 + (s.finishReason == "length" ? 100 : 0))
            if s.finishReason == "num_genes" { XCTAssertEqual(s.sentence.split(separator: " ").count, 5, s.sentence) }
        }
    }

    func testWordStartsCutAfterTheNthWord() throws {
        let model = try C2SModel(folder: try C2SFixture.get().bpeModel)
        let words = WordStarts(tokenizer: model.tokenizer, vocabularySize: model.language.info.vocabularySize)
        let ids = model.tokenizer.encode(" CD74 HLA-DRA B2M LYZ", addSpecialTokens: false)
        let cut = try XCTUnwrap(words.cut(ids, afterWords: 2))
        XCTAssertEqual(model.tokenizer.decode(Array(ids[..<cut])), " CD74 HLA-DRA")
        XCTAssertNil(words.cut(ids, afterWords: 4))
    }

    func testPerturbationPromptsDescribeTheControlCell() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.geneModel)
        let p = PerturbationPredictor(generator: try generator(model, constrained: true, numGenes: 6),
                                      prompt: try TaskPrompt(task: "perturbation_prediction", kind: .perturbation),
                                      perturbation: "interferon-beta", labelColumn: "cell_type", topGenes: 6, organism: "Homo sapiens")
        let controls = Array(try CellTable.load(f.sentences, maxGenes: 6).cells.prefix(4))
        let (text, dropped) = try p.modelInput(controls[0])
        XCTAssertEqual(dropped, 0, "the fixture model's context holds the whole prompt")
        XCTAssertTrue(text.contains("interferon-beta") && text.contains(controls[0].topGenes(6).text) && text.contains(controls[0].fields["cell_type"]!), text)
        let out = try p.predict(controls, firstIndex: 0)
        XCTAssertEqual(out.count, 4)
        XCTAssertTrue(out.allSatisfy { $0.sentence.split(separator: " ").count <= 6 })
    }
}
