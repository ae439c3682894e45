import Foundation
import TestSupport
import XCTest
@testable import Transformer

/// `GeneTokenExtension`: gene tokens added to a trained tokenizer.json, every token it had kept
/// at its id, so that a model trained with it can be grown (`c2s train --grow-vocabulary`).
final class GeneTokenExtensionTests: XCTestCase {
    private func corpus() throws -> [String] {
        let text = try String(contentsOf: TestPaths.fixtures.appendingPathComponent("tokenizer-training/train.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) as? String) ?? "" }
    }

    private func trained(_ genes: [String]) throws -> TrainedTokenizer {
        var o = BPETrainingOptions()
        o.vocabSize = 600
        return try BPETrainer.train(try corpus(), options: o, genes: try GeneVocabulary(genes: genes))
    }

    func testNewGenesBecomeTokensAfterEveryIDInUseAndOldTextReadsTheSame() throws {
        let base = try trained(["CD3D", "B2M", "MALAT1"])
        let old = try base.tokenizer()
        let result = try GeneTokenExtension.extend(tokenizerJSON: base.tokenizerJSON(), file: "tokenizer.json",
                                                   genes: ["B2M", "HLA-DRA", "MT-CO1", "CD3D", "RP11-34P13.7"])
        XCTAssertEqual(result.genes, 3)
        XCTAssertEqual(result.newIDs, 6)
        let new = try Tokenizer(json: result.json)
        XCTAssertEqual(new.vocabularySize, old.vocabularySize + 6)
        XCTAssertEqual(result.vocabularySize, new.vocabularySize)
        XCTAssertNil(GeneTokenExtension.firstChangedID(of: old, in: new))
        var ids = Set<Int32>()
        for gene in ["HLA-DRA", "MT-CO1", "RP11-34P13.7"] {
            for text in [" " + gene, gene] {
                let encoded = new.encode(text, addSpecialTokens: false)
                XCTAssertEqual(encoded.count, 1, text)
                XCTAssertGreaterThanOrEqual(Int(encoded[0]), old.vocabularySize, text)
                XCTAssertEqual(new.decode(encoded), text)
                ids.insert(encoded[0])
            }
            XCTAssertGreaterThan(old.encode(" " + gene, addSpecialTokens: false).count, 1, "not a token before")
        }
        XCTAssertEqual(ids.count, 6)
        // Text of the old genes and words encodes as before; a sentence with new genes uses them.
        for text in ["Cell sentence: CD3D B2M MALAT1.", "The cell type of this cell is", try corpus()[0]] {
            XCTAssertEqual(new.encode(text), old.encode(text), text)
        }
        XCTAssertEqual(new.encode(" CD3D HLA-DRA B2M", addSpecialTokens: false).count, 3)
        // Loads in the same form the trainer writes: the base again when nothing is new, byte for byte.
        let same = try GeneTokenExtension.extend(tokenizerJSON: base.tokenizerJSON(), file: "tokenizer.json", genes: ["B2M"])
        XCTAssertEqual(same.json, base.tokenizerJSON())
        XCTAssertEqual(same.genes, 0)
        // Extending again with the same genes adds nothing.
        XCTAssertEqual(try GeneTokenExtension.extend(tokenizerJSON: result.json, file: "t", genes: ["HLA-DRA", "MT-CO1"]).json, result.json)
    }

    func testATokenizerTrainedAnewIsNoExtension() throws {
        let old = try trained(["CD3D", "B2M"]).tokenizer()
        let renumbered = try trained(["B2M", "CD3D", "HLA-DRA"]).tokenizer()
        XCTAssertNotNil(GeneTokenExtension.firstChangedID(of: old, in: renumbered))
        XCTAssertNotNil(GeneTokenExtension.firstChangedID(of: renumbered, in: old), "smaller")
        XCTAssertNil(GeneTokenExtension.firstChangedID(of: old, in: old))
    }

    func testBadInputIsAnErrorNamingTheFile() throws {
        XCTAssertThrowsError(try GeneTokenExtension.extend(tokenizerJSON: Data("{".utf8), file: "broken.json", genes: ["A"])) {
            XCTAssertTrue("\($0)".contains("broken.json"), "\($0)")
        }
        let base = try trained(["CD3D"])
        XCTAssertThrowsError(try GeneTokenExtension.extend(tokenizerJSON: base.tokenizerJSON(), file: "t.json", genes: ["HLA DRA"])) {
            XCTAssertTrue("\($0)".contains("whitespace"), "\($0)")
        }
    }
}
