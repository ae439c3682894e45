import C2S
import CellSentences
import Prompts
import TestSupport
import Transformer
import XCTest

/// Annotation: constrained mode chooses the label the model finds most likely; free mode is
/// greedy generation; neither depends on the batch.
final class AnnotatorTests: XCTestCase {
    func cells(_ n: Int) throws -> [CellRecord] {
        Array(try CellTable.load(try C2SFixture.get().sentences, maxGenes: C2SFixture.topGenes).cells.prefix(n))
    }

    func annotator(_ model: C2SModel, mode: AnnotationMode, batchSize: Int = 16) throws -> Annotator {
        var o = AnnotationOptions()
        o.mode = mode
        o.labels = try model.requireLabels(task: "cell_type_prediction", given: nil)
        o.topGenes = C2SFixture.topGenes
        o.batchSize = batchSize
        o.maxNewTokens = 6
        return try Annotator(model: model, prompt: try TaskPrompt(task: "cell_type_prediction", kind: .singleCell), options: o)
    }

    func testConstrainedModePicksTheMostLikelyLabelAndReportsEveryScore() throws {
        let f = try C2SFixture.get()
        for path in [f.bpeModel, f.geneModel] {
            let model = try C2SModel(folder: path)
            let a = try annotator(model, mode: .constrained, batchSize: 3)
            let cells = try cells(7)
            let results = try a.annotate(cells)
            XCTAssertEqual(model.metadata?.labels["cell_type_prediction"], f.labels)
            // Independently: the prompt text, tokenised, and each label scored as " label" + EOS.
            let prompts = try cells.map { cell -> [Int32] in
                let text = try BuiltinTasks.named("cell_type_prediction")!.inputTemplates[0].render(
                    PromptValues.singleCell(cell, topK: C2SFixture.topGenes, organism: "Homo sapiens", labelColumn: nil))
                XCTAssertTrue(text.contains(cell.topGenes(C2SFixture.topGenes).text))
                return model.tokenizer.encode(text)
            }
            let candidates = f.labels.map { model.tokenizer.encode(" " + $0, addSpecialTokens: false) + [model.endToken] }
            let expected = try ContinuationScorer(model: model.language).score(prompts: prompts, continuations: candidates)
            for (r, row) in zip(results, expected) {
                let best = row.indices.max { row[$0] < row[$1] }!
                XCTAssertEqual(r.label, f.labels[best])
                XCTAssertEqual(r.scores.count, f.labels.count)
                // (Other batch shapes round differently in the last float bits.)
                for (x, y) in zip(r.scores, row) { XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(y))) }
                XCTAssertEqual(r.logLikelihood!, r.scores[best])
                let p = exp(r.scores[best]) / r.scores.reduce(0) { $0 + exp($1) }
                XCTAssertEqual(r.probability!, p, accuracy: 1e-12)
            }
            // The same answers one cell at a time.
            let alone = try annotator(model, mode: .constrained, batchSize: 1).annotate(cells)
            for (x, y) in zip(alone, results) {
                XCTAssertEqual(x.label, y.label)
                for (s, t) in zip(x.scores, y.scores) { XCTAssertEqual(s, t, accuracy: 1e-4 * max(1, abs(t))) }
            }
        }
    }

    func testFreeModeIsGreedyGenerationOfTheAnswerText() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.bpeModel)
        let a = try annotator(model, mode: .free, batchSize: 2)
        let cells = try cells(5)
        let results = try a.annotate(cells)
        for (cell, r) in zip(cells, results) {
            let prompt = model.tokenizer.encode(try a.modelInput(cell))
            let g = try Generator(model: model.language).generate(
                prompts: [prompt], options: GenerationOptions(maxNewTokens: 6, stopTokenIDs: model.stopTokens))[0]
            XCTAssertEqual(r.label, model.tokenizer.decode(g.tokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines))
            XCTAssertEqual(r.tokens, g.tokens.count)
            XCTAssertEqual(r.finishReason, g.finishReason)
            XCTAssertNil(r.logLikelihood)
        }
    }

    func testCellsWithoutLabelsAreAnnotated() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.geneModel)
        let unlabelled = try cells(3).map { CellRecord(name: $0.name, sentence: $0.sentence) }
        let results = try annotator(model, mode: .constrained).annotate(unlabelled)
        XCTAssertEqual(results.count, 3)
        XCTAssertTrue(results.allSatisfy { f.labels.contains($0.label) })
    }

    func testGroupPromptsListEveryCell() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.bpeModel)
        var o = AnnotationOptions()
        o.mode = .free
        o.topGenes = 3
        let a = try Annotator(model: model, prompt: try TaskPrompt(task: "tissue_prediction", kind: .multiCell), options: o)
        let group = try cells(3)
        let text = try a.modelInput(group: group)
        for (i, c) in group.enumerated() { XCTAssertTrue(text.contains("Cell \(i + 1): \(c.topGenes(3).text)"), text) }
    }

    /// `noisyCopies`: each label's score is the mean of its log-likelihoods over the cell as
    /// measured and its noisy copies, each scored as an ordinary prompt.
    func testNoisyCopiesAverageTheLabelLikelihoodsOverTheCellAndItsCopies() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.geneModel)
        let plain = try annotator(model, mode: .constrained, batchSize: 4)
        var o = plain.options
        o.noisyCopies = 3
        o.copyNoise = try RankNoise(sigma: 0.5)
        o.copySeed = 11
        let noisy = try Annotator(model: model, prompt: plain.prompt, options: o)
        let cells = try cells(5)
        let results = try noisy.annotate(cells)
        XCTAssertEqual(results.count, cells.count)
        var changed = 0
        for (cell, r) in zip(cells, results) {
            let copies = o.copyNoise.copies(of: cell, count: 3, seed: 11)
            let readings = try plain.annotate([cell] + copies)
            XCTAssertEqual(r.promptTokens, readings[0].promptTokens)
            var mean = [Double](repeating: 0, count: f.labels.count)
            for a in readings { for c in mean.indices { mean[c] += a.scores[c] / 4 } }
            for (x, y) in zip(r.scores, mean) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
            let best = mean.indices.max { mean[$0] < mean[$1] }!
            XCTAssertEqual(r.label, f.labels[best])
            XCTAssertEqual(r.logLikelihood!, r.scores[best])
            XCTAssertEqual(r.probability!, exp(r.scores[best]) / r.scores.reduce(0) { $0 + exp($1) }, accuracy: 1e-12)
            if zip(r.scores, readings[0].scores).contains(where: { abs($0 - $1) > 1e-3 }) { changed += 1 }
        }
        XCTAssertGreaterThan(changed, 0, "the copies change the scores")
        // A cell's answer does not depend on the other cells of its batch.
        let last = try noisy.annotate([cells[4]])[0]
        for (x, y) in zip(last.scores, results[4].scores) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(y))) }
        // Free mode, or copies without noise, are refused.
        var free = o
        free.mode = .free
        XCTAssertThrowsError(try Annotator(model: model, prompt: plain.prompt, options: free))
        var quiet = o
        quiet.copyNoise = .none
        XCTAssertThrowsError(try Annotator(model: model, prompt: plain.prompt, options: quiet))
    }
}
