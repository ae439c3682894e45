import Foundation
import TestSupport
import XCTest
@testable import Transformer

/// Saving models in the Hugging Face layout: the engine's layouts turned back into the
/// checkpoint's (GPT-NeoX per-head QKV, GPT-2 Conv1D), and load → save → load round trips.
final class ModelFolderWriterTests: XCTestCase {
    /// Loads a fixture model, saves it, and checks that every saved tensor has exactly the
    /// bytes of the original file's tensor and that loading the saved folder gives the same arena.
    func roundTrip(_ name: String) throws {
        let source = TestPaths.fixtures.appendingPathComponent("lm/\(name)")
        let model = try ModelLoader.load(folder: source)
        let tmp = try TemporaryFolder()
        let config = try ConfigFile(url: source.appendingPathComponent("config.json")).values
        let contents = ModelFolderContents(config: config, generationConfig: ["eos_token_id": 2],
                                           extraFiles: [("note.txt", Data("hello".utf8))])
        try contents.write(model.parameters, to: tmp.path)

        let original = try Checkpoint(folder: source.path)
        let saved = try Checkpoint(folder: tmp.path)
        XCTAssertEqual(Set(saved.tensorNames), Set(model.parameters.specs.map(\.name)))
        for tensor in saved.tensorNames {
            XCTAssertEqual(try saved.info(tensor).shape, try original.info(tensor).shape, tensor)
            XCTAssertEqual(try saved.info(tensor).dtype, .f32, tensor)
            XCTAssertEqual(try saved.floats(tensor).map(\.bitPattern), try original.floats(tensor).map(\.bitPattern), tensor)
        }
        let reloaded = try ModelLoader.load(folder: URL(fileURLWithPath: tmp.path))
        XCTAssertEqual(reloaded.parameters.count, model.parameters.count)
        for i in 0..<model.parameters.count where reloaded.parameters.base[i].bitPattern != model.parameters.base[i].bitPattern {
            return XCTFail("\(name): parameter float \(i) differs after the round trip")
        }
        XCTAssertEqual(try String(contentsOfFile: tmp.file("note.txt"), encoding: .utf8), "hello")
        let written = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("config.json")))) as? [String: Any])
        XCTAssertEqual(written["model_type"] as? String, config["model_type"] as? String)
        XCTAssertEqual(written["vocab_size"] as? Int, config["vocab_size"] as? Int)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: tmp.path).contains { $0.hasPrefix(".") })
    }

    func testGPTNeoXRoundTripRestoresPerHeadQKV() throws { try roundTrip("gpt_neox") }
    func testGPT2RoundTripRestoresConv1DLayout() throws { try roundTrip("gpt2") }

    /// Moments (any arena-shaped buffer) are saved in the parameters' checkpoint layout too.
    func testOtherArenasUseTheSameLayout() throws {
        let model = try ModelLoader.load(folder: TestPaths.fixtures.appendingPathComponent("lm/gpt_neox"))
        let store = model.parameters
        let other = UnsafeMutablePointer<Float>.allocate(capacity: store.count)
        defer { other.deallocate() }
        for i in 0..<store.count { other[i] = Float(i % 1000) * 0.5 }
        let tmp = try TemporaryFolder()
        try store.withStoredTensors(from: other) { try $0.write(to: tmp.file("m.safetensors")) }
        let back = UnsafeMutablePointer<Float>.allocate(capacity: store.count)
        defer { back.deallocate() }
        try store.load(from: try Checkpoint(file: tmp.file("m.safetensors")), ignoring: [], into: back)
        for i in 0..<store.count where back[i] != other[i] { return XCTFail("float \(i) differs") }
        // The fused QKV is stored per head: head 0's q rows, then its k rows, …
        let qkv = "gpt_neox.layers.0.attention.query_key_value.weight"
        let stored = try Checkpoint(file: tmp.file("m.safetensors")).floats(qkv)
        let d = 64, headDim = 16
        let engine = store.pointer(qkv) - store.base
        // Stored row headDim (head 0, k part, first row) is engine row d (K block, head 0).
        XCTAssertEqual(stored[headDim * d], other[engine + d * d])
    }

    /// A config read and written again keeps each number's type: transformers 5 refuses a
    /// Gemma-2 config whose `final_logit_softcapping` reads 30 instead of 30.0.
    func testConfigJSONKeepsFloatsFloatsAndRoundTrips() throws {
        let text = #"{"model_type": "gemma2", "final_logit_softcapping": 30.0, "num_hidden_layers": 2, "rms_norm_eps": 1e-06, "tie_word_embeddings": true, "sliding_window": null, "layer_types": ["sliding_attention", "full_attention"], "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}, "name": "a/b \"c\"", "empty": {}, "none": []}"#
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let written = String(decoding: try ModelFolderContents.jsonData(parsed), as: UTF8.self)
        XCTAssertTrue(written.contains("\"final_logit_softcapping\": 30.0,"), written)
        XCTAssertTrue(written.contains("\"rope_theta\": 10000.0,"), written)
        XCTAssertTrue(written.contains("\"num_hidden_layers\": 2,"), written)
        XCTAssertTrue(written.contains("\"tie_word_embeddings\": true"), written)
        XCTAssertTrue(written.contains("\"rms_norm_eps\": 1e-06"), written)
        XCTAssertTrue(written.contains("\"name\": \"a/b \\\"c\\\"\""), written)
        XCTAssertTrue(written.hasPrefix("{\n  \"empty\": {},\n") && written.hasSuffix("}\n"), written)
        let again = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(written.utf8)) as? NSDictionary)
        XCTAssertEqual(again, parsed as NSDictionary)
        // Swift values written by c2s itself: Double stays a float, Int an integer.
        let own = String(decoding: try ModelFolderContents.jsonData(["a": 0.02, "b": 3, "c": false]), as: UTF8.self)
        XCTAssertEqual(own, "{\n  \"a\": 0.02,\n  \"b\": 3,\n  \"c\": false\n}\n")
    }

    func testNewModelConfigsBuildTheArchitecture() throws {
        for type in ["gpt_neox", "gpt2"] {
            let json = try NewModelConfig(modelType: type, vocabularySize: 300, hiddenSize: 32, layers: 2, heads: 4,
                                          contextLength: 48, bosTokenID: 0, eosTokenID: 0).json()
            let model = try ModelLoader.makeModel(ConfigFile(url: URL(fileURLWithPath: "new"), values: json))
            XCTAssertEqual(model.info.modelType, type)
            XCTAssertEqual(model.info.vocabularySize, 300)
            XCTAssertEqual(model.info.contextLength, 48)
            XCTAssertEqual(model.info.hiddenSize, 32)
            XCTAssertEqual(model.info.eosTokenIDs, [0])
            XCTAssertNoThrow(try ModelFolderContents.jsonData(json))
        }
        XCTAssertThrowsError(try NewModelConfig(modelType: "llama", vocabularySize: 300, hiddenSize: 32, layers: 2, heads: 4, contextLength: 48).json())
        XCTAssertThrowsError(try NewModelConfig(modelType: "gpt2", vocabularySize: 300, hiddenSize: 30, layers: 2, heads: 4, contextLength: 48).json()) {
            XCTAssertTrue("\($0)".contains("multiple"))
        }
    }
}
