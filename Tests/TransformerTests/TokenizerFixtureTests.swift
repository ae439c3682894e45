import Foundation
import TestSupport
import XCTest
@testable import Transformer

/// Every fixture tokenizer (trained and saved by scripts/fixtures/make_tokenizer_fixtures.py with
/// the real `tokenizers` library) must encode and decode the held-out corpus exactly as
/// `tokenizers` did. Strings are compared as UTF-8 bytes: Swift's `==` would call NFC and NFD
/// spellings equal.
final class TokenizerFixtureTests: XCTestCase {
    nonisolated(unsafe) static var expected: [String: Any]?

    private func fixtures() throws -> [String: [String: Any]] {
        if Self.expected == nil {
            Self.expected = try loadGzipJSON("tokenizers/expected.json.gz") as? [String: Any]
        }
        guard let all = Self.expected?["tokenizers"] as? [String: [String: Any]], !all.isEmpty else {
            throw XCTSkip("tokenizers/expected.json.gz has no tokenizers")
        }
        return all
    }

    private func folder(_ name: String) -> URL { TestPaths.fixtures.appendingPathComponent("tokenizers/\(name)") }

    private func bytes(_ s: String?) -> [UInt8]? { s.map { Array($0.utf8) } }

    private func ids(_ any: Any?) -> [Int32] { (any as? [NSNumber] ?? []).map { $0.int32Value } }

    /// Runs `check` for one fixture tokenizer, failing with at most a few detailed mismatches.
    private func checkCases(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try XCTUnwrap(try fixtures()[name], "no fixture for \(name)")
        let tokenizer = try Tokenizer.load(folder: folder(name))
        let plain = try Tokenizer.load(tokenizerJSON: folder(name).appendingPathComponent("tokenizer.json"), config: nil)
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        XCTAssertGreaterThan(cases.count, 100)
        var failures = 0
        func fail(_ message: String) {
            failures += 1
            if failures <= 5 { XCTFail("\(name): \(message)", file: file, line: line) }
        }
        var texts: [String] = []
        var expectedWithSpecial: [[Int32]] = []
        for c in cases {
            let text = try XCTUnwrap(c["text"] as? String)
            texts.append(text)
            let want = ids(c["ids"]), wantPlain = ids(c["ids_plain"])
            expectedWithSpecial.append(want)
            let got = plain.encode(text), gotPlain = plain.encode(text, addSpecialTokens: false)
            if got != want { fail("encode(\(text.debugDescription))\n got \(got)\nwant \(want)") }
            if gotPlain != wantPlain { fail("encode(\(text.debugDescription), addSpecialTokens: false)\n got \(gotPlain)\nwant \(wantPlain)") }
            let hf = ids(c["hf_ids"])
            let viaFolder = tokenizer.encode(text)
            if viaFolder != hf { fail("folder encode(\(text.debugDescription)) \(viaFolder) != transformers \(hf)") }
            for (key, skip) in [("decoded", false), ("decoded_skip", true)] {
                let decoded = tokenizer.decode(want, skipSpecialTokens: skip)
                if bytes(decoded) != bytes(c[key] as? String) {
                    fail("decode(\(want), skip: \(skip)) = \(decoded.debugDescription), want \(((c[key] as? String) ?? "nil").debugDescription)")
                }
            }
        }
        let slices = try XCTUnwrap(fixture["slices"] as? [[Any]])
        for s in slices where s.count == 3 {
            let input = ids(s[0])
            for (skip, want) in [(false, s[1] as? String), (true, s[2] as? String)] {
                let got = tokenizer.decode(input, skipSpecialTokens: skip)
                if bytes(got) != bytes(want) { fail("decode(\(input), skip: \(skip)) = \(got.debugDescription), want \((want ?? "nil").debugDescription)") }
            }
        }
        XCTAssertGreaterThan(slices.count, 100)
        let batch = tokenizer.encodeBatch(texts)
        if batch != expectedWithSpecial { fail("encodeBatch differs from the expected ids") }
        XCTAssertEqual(failures, 0, "\(name): \(failures) mismatches", file: file, line: line)
    }

    private func checkVocabulary(_ name: String) throws {
        let fixture = try XCTUnwrap(try fixtures()[name])
        let tokenizer = try Tokenizer.load(folder: folder(name))
        XCTAssertEqual(tokenizer.vocabularySize, fixture["vocab_size"] as? Int, name)
        let tokens = try XCTUnwrap(fixture["id_to_token"] as? [Any])
        let backIDs = try XCTUnwrap(fixture["token_to_id"] as? [Any])
        XCTAssertEqual(tokens.count, backIDs.count)
        var mismatches = 0
        for (i, t) in tokens.enumerated() {
            let want = t as? String
            let got = tokenizer.token(forID: Int32(i))
            if bytes(got) != bytes(want) { mismatches += 1; continue }
            if let want, tokenizer.id(forToken: want) != (backIDs[i] as? NSNumber)?.int32Value { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0, "\(name): token(forID:) / id(forToken:) mismatches")
        func optionalID(_ key: String) -> Int32? { (fixture[key] as? NSNumber)?.int32Value }
        XCTAssertEqual(tokenizer.bosTokenID, optionalID("bos_id"), "\(name) bos")
        XCTAssertEqual(tokenizer.eosTokenID, optionalID("eos_id"), "\(name) eos")
        XCTAssertEqual(tokenizer.padTokenID, optionalID("pad_id"), "\(name) pad")
        XCTAssertEqual(tokenizer.modelMaxLength, fixture["model_max_length"] as? Int, "\(name) model_max_length")
    }

    func testFixtureNamesAreAllCovered() throws {
        let names = Set(try fixtures().keys)
        XCTAssertEqual(names, ["gpt2", "gpt-neox", "llama2", "gemma", "llama-metaspace", "metaspace-split", "bl-nfkd-lower-strip",
                               "bl-nfd-split-behaviours", "bl-nfkc-whitespace", "bl-whitespacesplit", "bpe-suffix", "bl-ignore-merges"])
        for name in names { try checkVocabulary(name) }
    }

    func testGPT2() throws { try checkCases("gpt2") }
    func testGPTNeoX() throws { try checkCases("gpt-neox") }
    func testLlama2() throws { try checkCases("llama2") }
    func testGemma() throws { try checkCases("gemma") }
    func testLlamaMetaspaceFirst() throws { try checkCases("llama-metaspace") }
    func testMetaspaceSplit() throws { try checkCases("metaspace-split") }
    func testNFKDLowercaseStrip() throws { try checkCases("bl-nfkd-lower-strip") }
    func testNFDAndSplitBehaviours() throws { try checkCases("bl-nfd-split-behaviours") }
    func testNFKCWhitespace() throws { try checkCases("bl-nfkc-whitespace") }
    func testWhitespaceSplit() throws { try checkCases("bl-whitespacesplit") }
    func testSubwordPrefixAndSuffix() throws { try checkCases("bpe-suffix") }
    func testIgnoreMerges() throws { try checkCases("bl-ignore-merges") }

    /// The GPT-2 fixture keeps merges as "a b" strings and GPT-NeoX as pairs: both encodings load.
    func testBothMergeEncodingsArePresent() throws {
        let gpt2 = try String(contentsOf: folder("gpt2").appendingPathComponent("tokenizer.json"), encoding: .utf8)
        let neox = try String(contentsOf: folder("gpt-neox").appendingPathComponent("tokenizer.json"), encoding: .utf8)
        XCTAssertTrue(gpt2.contains("\"Ġ R\""))
        XCTAssertTrue(neox.contains("[\n    \"Ġ\",\n    \"R\"\n   ]"))
    }
}
