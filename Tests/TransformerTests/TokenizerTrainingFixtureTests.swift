import Foundation
import TestSupport
import XCTest
@testable import Transformer

/// The tokenizers in Tests/Fixtures/tokenizer-training were trained by `c2s tokenizer train`
/// (scripts/fixtures/make_tokenizer_training_fixtures.py), then loaded by the real `tokenizers`
/// library and transformers' AutoTokenizer, whose encodings of a held-out corpus were recorded.
/// Here: retraining gives the committed files byte for byte, and our encoder and decoder agree
/// with the library on every held-out text and every gene.
final class TokenizerTrainingFixtureTests: XCTestCase {
    nonisolated(unsafe) static var expected: [String: Any]?

    private let base = TestPaths.fixtures.appendingPathComponent("tokenizer-training")

    private func fixture(_ name: String) throws -> [String: Any] {
        if Self.expected == nil { Self.expected = try loadGzipJSON("tokenizer-training/expected.json.gz") as? [String: Any] }
        let all = try XCTUnwrap(Self.expected?["tokenizers"] as? [String: [String: Any]])
        return try XCTUnwrap(all[name], "no fixture for \(name)")
    }

    private func jsonStrings(_ file: String) throws -> [String] {
        let text = try String(contentsOf: base.appendingPathComponent(file), encoding: .utf8)
        return try text.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) as? String) }
    }

    private func ids(_ any: Any?) -> [Int32] { (any as? [NSNumber] ?? []).map { $0.int32Value } }

    /// The options the fixture script passed to `c2s tokenizer train` (see OPTIONS there).
    private func retrain(_ name: String) throws -> TrainedTokenizer {
        var options = BPETrainingOptions()
        var genes: GeneVocabulary? = nil
        switch name {
        case "bpe":
            options.vocabSize = 900
        default:
            options.vocabSize = 700
            genes = try GeneVocabulary.read(path: base.appendingPathComponent("genes.txt").path)
        }
        return try BPETrainer.train(try jsonStrings("train.jsonl"), options: options, genes: genes)
    }

    private func check(_ name: String) throws {
        let trained = try retrain(name)
        let folder = base.appendingPathComponent(name)
        let committed = try Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(trained.tokenizerJSON(), committed, "\(name): retraining must give the committed tokenizer.json")
        XCTAssertEqual(trained.tokenizerConfigJSON(modelMaxLength: 1024),
                       try Data(contentsOf: folder.appendingPathComponent("tokenizer_config.json")))

        let fixture = try fixture(name)
        let tokenizer = try Tokenizer.load(folder: folder)
        XCTAssertEqual(tokenizer.vocabularySize, fixture["vocab_size"] as? Int)
        XCTAssertEqual(trained.vocabularySize, fixture["vocab_size"] as? Int)
        XCTAssertEqual(tokenizer.bosTokenID, (fixture["bos_id"] as? NSNumber)?.int32Value)
        XCTAssertEqual(tokenizer.eosTokenID, (fixture["eos_id"] as? NSNumber)?.int32Value)
        XCTAssertEqual(tokenizer.padTokenID, (fixture["pad_id"] as? NSNumber)?.int32Value)
        XCTAssertEqual(tokenizer.modelMaxLength, fixture["model_max_length"] as? Int)

        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        XCTAssertGreaterThan(cases.count, 150)
        var failures = 0
        func fail(_ message: String) { failures += 1; if failures <= 5 { XCTFail("\(name): \(message)") } }
        for c in cases {
            let text = try XCTUnwrap(c["text"] as? String)
            let want = ids(c["ids"])
            let got = tokenizer.encode(text)
            if got != want { fail("encode(\(text.debugDescription))\n got \(got)\nwant \(want)") }
            if got != ids(c["hf_ids"]) { fail("AutoTokenizer gave \(ids(c["hf_ids"])) for \(text.debugDescription)") }
            // tokenizers' decode skips special tokens by default.
            let decoded = tokenizer.decode(want, skipSpecialTokens: true)
            if Array(decoded.utf8) != Array(((c["decoded"] as? String) ?? "").utf8) { fail("decode(\(want)) = \(decoded.debugDescription)") }
        }
        let genes = try XCTUnwrap(fixture["genes"] as? [[Any]])
        for g in genes {
            let gene = try XCTUnwrap(g[0] as? String)
            if tokenizer.encode(" " + gene) != ids(g[1]) { fail("encode(\" \(gene)\") = \(tokenizer.encode(" " + gene)), want \(ids(g[1]))") }
            if tokenizer.encode(gene) != ids(g[2]) { fail("encode(\"\(gene)\") = \(tokenizer.encode(gene)), want \(ids(g[2]))") }
        }
        XCTAssertEqual(failures, 0, "\(name): \(failures) mismatches with tokenizers")
    }

    func testPlainBPEMatchesTheLibrary() throws { try check("bpe") }

    func testGeneAwareMatchesTheLibrary() throws {
        try check("gene-aware")
        // The library, too, gives every gene one token, with and without the space before it.
        let genes = try XCTUnwrap(try fixture("gene-aware")["genes"] as? [[Any]])
        XCTAssertGreaterThan(genes.count, 400)
        for g in genes { XCTAssertEqual(ids(g[1]).count, 1, "\(g[0])"); XCTAssertEqual(ids(g[2]).count, 1, "\(g[0])") }
        // ...and plain BPE does not.
        let plain = try XCTUnwrap(try fixture("bpe")["genes"] as? [[Any]])
        XCTAssertGreaterThan(plain.filter { ids($0[1]).count > 1 }.count, plain.count / 2)
    }
}
