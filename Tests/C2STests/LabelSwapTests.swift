@testable import C2S
import Foundation
import CellSentences
import Prompts
import TestSupport
@testable import Transformer
import XCTest

/// A hand-built language model behind the fixture's gene-aware tokenizer: next-token logits
/// are 0 except for genes, which get `boost[label][token]` when the text so far names a label
/// (`"labelled <label>:"`, the wording of cell_type_generation's first template). With
/// `ignoresLabel` every label gets the same boost (the mean over labels), so the text before
/// the sentence cannot change its likelihood. It keeps each sequence's tokens itself (keyed
/// by cache and slot), which is all the state such a model needs.
final class LabelCuedTestModel: CausalLanguageModel, @unchecked Sendable {
    let info: ModelInfo
    let parameters = ParameterStore(specs: [ParameterSpec("unused", [1])])
    let tokenizer: Tokenizer
    let labels: [String]
    let boost: [[Float]]
    let ignoresLabel: Bool
    private var histories: [ObjectIdentifier: [Int: [Int32]]] = [:]

    init(info: ModelInfo, tokenizer: Tokenizer, labels: [String], boost: [[Float]], ignoresLabel: Bool) {
        self.info = info
        self.tokenizer = tokenizer
        self.labels = labels
        self.boost = boost
        self.ignoresLabel = ignoresLabel
    }

    func forward(_ batch: ForwardBatch, cache: KVCache, logits rows: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        let key = ObjectIdentifier(cache)
        var out: [Float] = []
        var wanted = Set<Int>()
        switch rows {
        case .none: break
        case .lastOfEachSequence: wanted = Set(batch.lastRows)
        case .all: wanted = Set(0..<batch.tokenCount)
        }
        for seg in batch.segments {
            XCTAssertEqual(cache.lengths[seg.slot], seg.past)
            let history = Array((histories[key]?[seg.slot] ?? []).prefix(seg.past)) + Array(batch.tokens[seg.start..<(seg.start + seg.count)])
            histories[key, default: [:]][seg.slot] = history
            cache.lengths[seg.slot] = seg.past + seg.count
            for t in 0..<seg.count where wanted.contains(seg.start + t) {
                // Causal: only the tokens up to this row.
                out += logits(after: Array(history[..<(seg.past + t + 1)]))
            }
        }
        return ForwardResult(logits: out, logitRows: out.count / info.vocabularySize, hiddenStates: nil)
    }

    func logits(after tokens: [Int32]) -> [Float] {
        if ignoresLabel {
            return (0..<info.vocabularySize).map { v in boost.map { $0[v] }.reduce(0, +) / Float(boost.count) }
        }
        let text = tokenizer.decode(tokens, skipSpecialTokens: true)
        guard let cue = labels.firstIndex(where: { text.contains("labelled \($0):") }) else {
            return [Float](repeating: 0, count: info.vocabularySize)
        }
        return boost[cue]
    }
}

/// The label-swap test: a model whose genes follow the label finds each real cell's sentence
/// more likely under its own label; a model that ignores the label scores every label the same.
final class LabelSwapTests: XCTestCase {
    struct Setting {
        let fixture: C2SFixture
        let cells: [CellRecord]
        let cued: C2SModel
        let blind: C2SModel
    }

    /// Synthetic cells where the label determines the genes: the cells of label l hold 12 of
    /// the 16 genes of block l of the vocabulary (8 cells per label, blocks disjoint). The
    /// label-cued model favours block l's genes after "labelled <l>:"; both models share the
    /// fixture's gene-aware tokenizer (one token per gene) and metadata.
    func setting() throws -> Setting {
        let f = try C2SFixture.get()
        let genes = try SentenceDataset(folder: f.sentences).genes
        let blocks = f.labels.indices.map { Array(genes[($0 * 16)..<($0 * 16 + 16)]) }
        var cells: [CellRecord] = []
        for (l, label) in f.labels.enumerated() {
            for i in 0..<8 {
                let sentence = (0..<C2SFixture.topGenes).map { blocks[l][(i + $0 * 3) % 16] }.joined(separator: " ")
                cells.append(CellRecord(name: "cell_\(l)_\(i)", sentence: sentence, fields: ["cell_type": label]))
            }
        }
        let folder = f.geneModel
        let loaded = try C2SModel(folder: folder)
        var info = loaded.language.info
        info.modelType = "label_cued_test"
        var boost = [[Float]](repeating: [Float](repeating: 0, count: info.vocabularySize), count: f.labels.count)
        for (l, block) in blocks.enumerated() {
            for gene in block {
                let tokens = loaded.encodeContinuation(" " + gene)
                XCTAssertEqual(tokens.count, 1, "the gene-aware tokenizer gives \(gene) one token")
                boost[l][Int(tokens[0])] = 4
            }
        }
        func model(ignoresLabel: Bool) throws -> C2SModel {
            try C2SModel(folder: folder, language: LabelCuedTestModel(info: info, tokenizer: loaded.tokenizer, labels: f.labels,
                                                                      boost: boost, ignoresLabel: ignoresLabel))
        }
        return Setting(fixture: f, cells: cells, cued: try model(ignoresLabel: false), blind: try model(ignoresLabel: true))
    }

    func test(_ model: C2SModel, maxCells: Int = 1000, maxTokensPerPass: Int = 8192) throws -> LabelSwapTest {
        var o = LabelSwapOptions()
        o.topGenes = C2SFixture.topGenes
        o.maxCells = maxCells
        o.maxTokensPerPass = maxTokensPerPass
        return try LabelSwapTest(model: model, prompt: try TaskPrompt(task: "cell_type_generation", kind: .singleCell),
                                 labels: model.metadata!.labels(for: "cell_type_generation"), options: o)
    }

    func testOwnLabelIsMoreLikelyWhenTheModelUsesIt() throws {
        let s = try setting()
        let r = try test(s.cued).run(s.cells, labelColumn: "cell_type")
        XCTAssertEqual(r.labels, s.fixture.labels)
        XCTAssertEqual(r.cellsScored, s.cells.count)
        XCTAssertEqual(r.chance, 1 / Double(s.fixture.labels.count))
        XCTAssertGreaterThan(r.overall.ownPerToken, r.overall.othersPerToken)
        XCTAssertGreaterThan(r.overall.gapPerToken, 0.1)
        XCTAssertGreaterThan(r.overall.gapPerCell, 1)
        XCTAssertEqual(r.overall.accuracy, 1)
        XCTAssertEqual(r.perLabel.map(\.label), s.fixture.labels)
        XCTAssertEqual(r.perLabel.map(\.cells).reduce(0, +), s.cells.count)
        for row in r.perLabel {
            XCTAssertEqual(row.accuracy, 1, "\(row.label!)")
            // Every cell's own label wins, so each label wins exactly its own cells.
            XCTAssertEqual(r.chosenShare[row.label!]!, Double(row.cells) / Double(s.cells.count), accuracy: 1e-12)
        }
        // Per token = per cell / response tokens: every response here is 12 genes of one
        // token each, then EOS.
        XCTAssertEqual(r.meanResponseTokens, Double(C2SFixture.topGenes + 1))
        XCTAssertEqual(r.overall.gapPerToken * r.meanResponseTokens, r.overall.gapPerCell, accuracy: 1e-9)
    }

    func testModelThatIgnoresTheLabelHasNoGapAndChanceAccuracy() throws {
        let s = try setting()
        let r = try test(s.blind).run(s.cells, labelColumn: "cell_type")
        XCTAssertEqual(r.overall.gapPerToken, 0)
        XCTAssertEqual(r.overall.gapPerCell, 0)
        XCTAssertEqual(r.overall.ownPerToken, r.overall.othersPerToken, accuracy: 1e-12)
        XCTAssertEqual(r.overall.accuracy, r.chance, accuracy: 1e-12)
        XCTAssertEqual(Set(r.chosenShare.keys), Set(s.fixture.labels))
        for share in r.chosenShare.values { XCTAssertEqual(share, r.chance, accuracy: 1e-12) }
    }

    /// The scores are the model's log-likelihood of " " + top genes + EOS after the
    /// generation prompt, summed by hand here; the grouping of passes does not change them.
    func testScoresAreTheResponseLikelihoodAsTrainedWhateverTheGrouping() throws {
        let s = try setting()
        let cells = Array(s.cells.prefix(4))
        let t = try test(s.cued)
        let (prompts, responses) = try t.encode(cells)
        XCTAssertEqual(prompts.count, cells.count * s.fixture.labels.count)
        let model = s.cued
        for (c, cell) in cells.enumerated() {
            let sentence = String(cell.topGenes(C2SFixture.topGenes).text)
            for (l, label) in s.fixture.labels.enumerated() {
                let k = c * s.fixture.labels.count + l
                let input = try t.modelInput(label: label, genes: C2SFixture.topGenes)
                XCTAssertTrue(input.contains("labelled \(label):") && input.contains("\(C2SFixture.topGenes) most"), input)
                XCTAssertEqual(prompts[k], model.tokenizer.encode(input))
                XCTAssertEqual(prompts[k] + responses[k], model.tokenizer.encode(input + " " + sentence) + [model.endToken])
                // By hand: each response token's log-softmax under the hand-built model.
                let lm = model.language as! LabelCuedTestModel
                var expected = 0.0
                for (i, token) in responses[k].enumerated() {
                    let z = lm.logits(after: prompts[k] + responses[k][..<i]).map(Double.init)
                    let m = z.max()!
                    expected += z[Int(token)] - (m + log(z.reduce(0) { $0 + exp($1 - m) }))
                }
                let small = try ContinuationScorer(model: model.language, maxTokensPerPass: 1)
                    .score(prompts: [prompts[k]], pairedContinuations: [responses[k]])[0]
                XCTAssertEqual(small, expected, accuracy: 1e-4)
            }
        }
        let one = try ContinuationScorer(model: model.language, maxTokensPerPass: 1).score(prompts: prompts, pairedContinuations: responses)
        let all = try ContinuationScorer(model: model.language).score(prompts: prompts, pairedContinuations: responses, maxLogitFloats: 1 << 30)
        XCTAssertEqual(one, all)
    }

    func testSubsampleIsSeededAndLeavesOutUnknownLabels() throws {
        let s = try setting()
        var cells = s.cells
        cells[0] = CellRecord(name: cells[0].name, sentence: cells[0].sentence, fields: ["cell_type": "never learned"])
        cells[1] = CellRecord(name: cells[1].name, sentence: cells[1].sentence, fields: [:])
        let t = try test(s.cued, maxCells: 10)
        let a = t.selectCells(cells, labelColumn: "cell_type"), b = t.selectCells(cells, labelColumn: "cell_type")
        XCTAssertEqual(a.indices, b.indices)
        XCTAssertEqual(a.indices.count, 10)
        XCTAssertEqual(a.indices, a.indices.sorted())
        XCTAssertFalse(a.indices.contains(0) || a.indices.contains(1))
        XCTAssertEqual(a.unknownLabel, 1)
        XCTAssertEqual(a.withoutLabel, 1)
        let r = try t.run(cells, labelColumn: "cell_type")
        XCTAssertEqual(r.cellsScored, 10)
        XCTAssertEqual(r.cellsOffered, cells.count)
        XCTAssertEqual(r.cellsWithUnknownLabel, 1)
        XCTAssertEqual(r.cellsWithoutLabel, 1)
    }

    func testBadInputIsAClearError() throws {
        let s = try setting()
        let none = s.cells.map { CellRecord(name: $0.name, sentence: $0.sentence, fields: ["cell_type": "other"]) }
        XCTAssertThrowsError(try test(s.cued).run(none, labelColumn: "cell_type")) { error in
            XCTAssertTrue("\(error)".contains("no cell has a label the model learned in column 'cell_type'"), "\(error)")
        }
        XCTAssertThrowsError(try LabelSwapTest(model: s.cued, prompt: try TaskPrompt(task: "cell_type_generation", kind: .singleCell),
                                               labels: ["only"], options: LabelSwapOptions())) { error in
            XCTAssertTrue("\(error)".contains("at least two labels"), "\(error)")
        }
    }
}
