import Foundation
import Mechanics
import TestSupport
import XCTest
@testable import Transformer

/// Bad or unsupported tokenizer files must give errors that name the file and the problem, and
/// no input may crash the loader or, once loaded, the encoder and decoder.
final class TokenizerErrorTests: XCTestCase {
    private func fixtureData(_ name: String) throws -> Data {
        try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("tokenizers/\(name)/tokenizer.json"))
    }

    private func fixtureObject(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: fixtureData(name)) as? [String: Any])
    }

    /// The error thrown for `object` serialised as the tokenizer.json of a made-up file name.
    private func loadError(_ object: [String: Any], file: String = "/models/x/tokenizer.json") throws -> TokenizerError {
        let data = try JSONSerialization.data(withJSONObject: object)
        do {
            _ = try Tokenizer(json: data, file: file)
        } catch {
            return error
        }
        XCTFail("expected an error")
        throw XCTSkip("no error")
    }

    func testUnsupportedModelTypeListsTheSupportedOnes() throws {
        for type in ["WordPiece", "Unigram", "WordLevel"] {
            var object = try fixtureObject("gpt2")
            var model = try XCTUnwrap(object["model"] as? [String: Any])
            model["type"] = type
            object["model"] = model
            let error = try loadError(object)
            XCTAssertEqual(error.kind, .unsupported)
            XCTAssertTrue(error.description.hasPrefix("/models/x/tokenizer.json: model.type"), error.description)
            XCTAssertTrue(error.description.contains("'\(type)' is not supported (supported: BPE)"), error.description)
        }
    }

    func testUnsupportedComponentsNameThemselvesAndTheAlternatives() throws {
        let cases: [(String, [String: Any], String)] = [
            ("normalizer", ["type": "Precompiled", "precompiled_charsmap": "AAAA"], "normalizer type 'Precompiled' is not supported (supported: NFC, NFD"),
            ("pre_tokenizer", ["type": "Digits", "individual_digits": true], "pre-tokenizer type 'Digits' is not supported (supported: ByteLevel"),
            ("decoder", ["type": "CTC"], "decoder type 'CTC' is not supported (supported: ByteLevel"),
            ("post_processor", ["type": "Frobnicate"], "post-processor type 'Frobnicate' is not supported (supported: TemplateProcessing"),
            ("pre_tokenizer", ["type": "Split", "pattern": ["Regex": "\\d+"], "behavior": "Isolated", "invert": false],
             "pre-tokenizer Split with a Regex pattern is not supported"),
            ("normalizer", ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "BertNormalizer"]]],
             "normalizer.normalizers[1]: normalizer type 'BertNormalizer' is not supported"),
        ]
        for (key, component, expected) in cases {
            var object = try fixtureObject("gpt2")
            object[key] = component
            let error = try loadError(object)
            XCTAssertEqual(error.kind, .unsupported, error.description)
            XCTAssertTrue(error.description.contains(expected), error.description)
            XCTAssertTrue(error.description.contains("tokenizer.json"), error.description)
        }
    }

    func testDropoutIsRefusedButZeroIsAccepted() throws {
        var object = try fixtureObject("gpt2")
        var model = try XCTUnwrap(object["model"] as? [String: Any])
        model["dropout"] = 0.1
        object["model"] = model
        let error = try loadError(object)
        XCTAssertEqual(error.kind, .unsupported)
        XCTAssertTrue(error.message.contains("dropout"), error.description)
        model["dropout"] = 0.0
        object["model"] = model
        XCTAssertNoThrow(try Tokenizer(json: JSONSerialization.data(withJSONObject: object)))
    }

    func testMissingVocabularyAndMergesWithUnknownTokens() throws {
        var object = try fixtureObject("gpt-neox")
        var model = try XCTUnwrap(object["model"] as? [String: Any])
        model.removeValue(forKey: "vocab")
        object["model"] = model
        var error = try loadError(object)
        XCTAssertEqual(error.kind, .invalid)
        XCTAssertTrue(error.description.contains("model.vocab: missing"), error.description)

        object = try fixtureObject("gpt-neox")
        model = try XCTUnwrap(object["model"] as? [String: Any])
        var merges = try XCTUnwrap(model["merges"] as? [Any])
        merges[3] = ["Ġ", "NOT-A-TOKEN"]
        model["merges"] = merges
        object["model"] = model
        error = try loadError(object)
        XCTAssertEqual(error.kind, .invalid)
        XCTAssertTrue(error.description.contains("model.merges[3]: token \"NOT-A-TOKEN\" is not in the vocabulary"), error.description)

        object = try fixtureObject("gpt2")
        model = try XCTUnwrap(object["model"] as? [String: Any])
        merges = try XCTUnwrap(model["merges"] as? [Any])
        merges[0] = "Ġ R x"
        model["merges"] = merges
        object["model"] = model
        error = try loadError(object)
        XCTAssertTrue(error.description.contains("model.merges[0]: expected \"left right\""), error.description)
    }

    func testMalformedAndUnreadableFilesNameTheFile() throws {
        let data = try fixtureData("gpt2")
        XCTAssertThrowsError(try Tokenizer(json: data.prefix(data.count / 2), file: "/m/tokenizer.json")) { error in
            let e = error as? TokenizerError
            XCTAssertEqual(e?.kind, .malformedJSON)
            XCTAssertTrue(e?.description.hasPrefix("/m/tokenizer.json: not valid JSON at byte") == true, "\(error)")
        }
        let missing = URL(fileURLWithPath: "/nonexistent/folder")
        XCTAssertThrowsError(try Tokenizer.load(folder: missing)) { error in
            XCTAssertEqual((error as? TokenizerError)?.kind, .unreadable)
            XCTAssertTrue("\(error)".contains("/nonexistent/folder/tokenizer.json"), "\(error)")
        }
        let folder = try TemporaryFolder()
        try data.write(to: URL(fileURLWithPath: folder.file("tokenizer.json")))
        try Data("{\"bos_token\": 7}".utf8).write(to: URL(fileURLWithPath: folder.file("tokenizer_config.json")))
        XCTAssertThrowsError(try Tokenizer.load(folder: URL(fileURLWithPath: folder.path))) { error in
            XCTAssertTrue("\(error)".contains("tokenizer_config.json: bos_token: expected a string"), "\(error)")
        }
    }

    func testJSONParserEdgeCases() {
        let bad = ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\ud800\"", "\"\u{01}\"", "{\"a\":1}x", "nul", "\"\\x\"",
                   String(repeating: "[", count: 10_000)]
        for text in bad {
            XCTAssertThrowsError(try JSONParser.parse(Data(text.utf8)), text.debugDescription)
        }
        XCTAssertThrowsError(try JSONParser.parse(Data([0x22, 0xFF, 0x22])))
        let good = try? JSONParser.parse(Data("{\"a\": [1, -2.5e3, true, null, \"\\u00e9\\ud83e\\uddec\\n\"]}".utf8))
        let items = good?["a"]?.arrayValue
        XCTAssertEqual(items?.count, 5)
        XCTAssertEqual(items?[1].doubleValue, -2500)
        XCTAssertEqual(items?[4].stringValue.map { Array($0.utf8) }, Array("é🧬\n".utf8))
    }

    /// Random damage to real files: byte flips, truncation, values of the wrong type, unknown
    /// component types. Loading must throw or succeed, and a loaded tokenizer must encode and
    /// decode without crashing.
    func testCorruptedFilesNeverCrash() throws {
        var rng = SplitMix64(seed: 20_240_611)
        let samples = ["Hello world <|endoftext|> <s> RPS27 MALAT1", "Caf\u{e9} \u{1F9EC} \t\n  x", ""]
        func exercise(_ tokenizer: Tokenizer) {
            for text in samples {
                let ids = tokenizer.encode(text)
                _ = tokenizer.decode(ids)
                _ = tokenizer.decode(ids + [-1, 5, Int32.max, 3], skipSpecialTokens: true)
            }
        }
        var loaded = 0, refused = 0
        for name in ["gpt2", "llama2", "gemma", "bpe-suffix"] {
            let data = try fixtureData(name)
            for _ in 0..<60 {  // byte flips
                var bytes = [UInt8](data)
                for _ in 0..<Int(rng.next() % 8 + 1) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                if let t = try? Tokenizer(json: Data(bytes)) { loaded += 1; exercise(t) } else { refused += 1 }
            }
            for _ in 0..<20 {  // truncation: never a whole object
                let cut = Int(rng.next() % UInt64(data.count - 1))
                XCTAssertThrowsError(try Tokenizer(json: data.prefix(cut)))
            }
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let replacements: [Any] = [NSNull(), 7, -3, 1.5, "x", "WordPiece", true, [Any](), [String: Any](), [1, 2], ["type": "Nope"]]
            for _ in 0..<80 {  // one value replaced somewhere in the tree
                let damaged = replaceRandomValue(in: object, with: replacements[Int(rng.next() % UInt64(replacements.count))], rng: &rng)
                let json = try JSONSerialization.data(withJSONObject: damaged)
                do {
                    let t = try Tokenizer(json: json)
                    loaded += 1
                    exercise(t)
                } catch {
                    refused += 1
                    XCTAssertTrue(error.description.hasPrefix("tokenizer.json: "), error.description)
                }
            }
        }
        XCTAssertGreaterThan(refused, 100)
        XCTAssertGreaterThan(loaded, 10)
    }

    /// Replaces one randomly chosen value (object member or array element, at any depth, but
    /// only among the first few elements of long arrays) by `value`.
    private func replaceRandomValue(in node: Any, with value: Any, rng: inout SplitMix64) -> Any {
        if var object = node as? [String: Any], !object.isEmpty {
            let keys = object.keys.sorted()
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            let child = object[key] ?? NSNull()
            if rng.next() % 3 == 0 || !(child is [String: Any] || child is [Any]) {
                object[key] = value
            } else {
                object[key] = replaceRandomValue(in: child, with: value, rng: &rng)
            }
            return object
        }
        if var array = node as? [Any], !array.isEmpty {
            let i = Int(rng.next() % UInt64(min(array.count, 8)))
            array[i] = rng.next() % 3 == 0 ? value : replaceRandomValue(in: array[i], with: value, rng: &rng)
            return array
        }
        return value
    }
}

