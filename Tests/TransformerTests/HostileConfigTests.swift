import Foundation
import TestSupport
@testable import Transformer
import XCTest

/// Every `config.json` value is range-checked, and every size checked against the checkpoint's
/// tensors, before anything is allocated: a hostile value is an error naming the file and the
/// key, never a crash, a hang, a write past a buffer or a terabyte allocation (issue 17).
final class HostileConfigTests: XCTestCase {
    /// The fixture model folder `name` (lm/...) with `edit` applied to its config.json: loading
    /// it must fail with a message naming config.json and every string of `mentions`.
    func assertRefused(_ name: String, mentions: [String], file: StaticString = #filePath, line: UInt = #line,
                       _ edit: (inout [String: Any]) -> Void) throws {
        let source = TestPaths.fixtures.appendingPathComponent("lm/" + name)
        let tmp = try TemporaryFolder()
        for entry in try FileManager.default.contentsOfDirectory(atPath: source.path) where entry != "config.json" {
            try FileManager.default.createSymbolicLink(atPath: tmp.file(entry), withDestinationPath: source.appendingPathComponent(entry).path)
        }
        var config = try ConfigFile(url: source.appendingPathComponent("config.json")).values
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: tmp.file("config.json")))
        XCTAssertThrowsError(try ModelLoader.load(folder: URL(fileURLWithPath: tmp.path)), file: file, line: line) { error in
            // The first line names the file, the key and the problem; a size the tensors
            // contradict is followed by every differing tensor, one per line.
            let text = "\(error)", first = text.split(separator: "\n").first.map(String.init) ?? ""
            XCTAssertTrue(first.hasPrefix(tmp.file("config.json") + ": "), "does not name the file: \(text)", file: file, line: line)
            for word in mentions { XCTAssertTrue(first.contains(word), "does not mention \(word): \(text)", file: file, line: line) }
        }
    }

    func testUnmodifiedFixturesLoad() throws {
        for name in ["gpt2", "gpt_neox", "llama", "gemma2"] {
            XCTAssertNoThrow(try ModelLoader.load(folder: TestPaths.fixtures.appendingPathComponent("lm/" + name)), name)
        }
    }

    func testGPTNeoXRotaryFactorOutsideZeroToOne() throws {
        // 4 once aborted with a double free, 2 wrote past each head, -1 hung.
        for factor in [4.0, 2.0, -1.0, 1.5] {
            try assertRefused("gpt_neox", mentions: ["partial_rotary_factor", "between 0 and 1"]) {
                $0["rope_parameters"] = ["partial_rotary_factor": factor, "rope_theta": 10000, "rope_type": "default"]
            }
        }
        try assertRefused("gpt_neox", mentions: ["rotary_pct", "between 0 and 1"]) {
            $0["rope_parameters"] = nil
            $0["rotary_pct"] = 3
        }
    }

    func testGPTNeoXRotaryFactorGivingAnOddWidth() throws {
        // Heads of 16: 0.3 rotates 4.8 → 4 (even, fine), 0.1875 rotates 3 (odd).
        try assertRefused("gpt_neox", mentions: ["partial_rotary_factor", "must be even"]) {
            $0["rope_parameters"] = ["partial_rotary_factor": 0.1875, "rope_theta": 10000]
        }
    }

    func testSizesBeyondAnyModelAreRefusedBeforeAllocating() throws {
        // 2^31 once tried to allocate 34 TB.
        try assertRefused("gpt_neox", mentions: ["hidden_size", "2147483648"]) { $0["hidden_size"] = 1 << 31 }
        try assertRefused("gpt_neox", mentions: ["vocab_size"]) { $0["vocab_size"] = 1 << 40 }
        try assertRefused("gpt_neox", mentions: ["num_hidden_layers"]) { $0["num_hidden_layers"] = 1_000_000_000 }
        try assertRefused("gpt_neox", mentions: ["max_position_embeddings"]) { $0["max_position_embeddings"] = 1 << 40 }
        try assertRefused("gpt2", mentions: ["n_inner", "positive"]) { $0["n_inner"] = -5 }
        try assertRefused("llama", mentions: ["head_dim"]) { $0["head_dim"] = 1 << 30 }
    }

    func testSizesTheTensorsContradict() throws {
        try assertRefused("gpt_neox", mentions: ["hidden_size", "gpt_neox.embed_in.weight"]) {
            $0["hidden_size"] = 128
            $0["num_attention_heads"] = 8
        }
        try assertRefused("gpt_neox", mentions: ["vocab_size", "gpt_neox.embed_in.weight"]) { $0["vocab_size"] = 300 }
        try assertRefused("gpt_neox", mentions: ["intermediate_size", "dense_h_to_4h"]) { $0["intermediate_size"] = 4096 }
        try assertRefused("gpt_neox", mentions: ["num_hidden_layers", "holds 2 layers"]) { $0["num_hidden_layers"] = 40 }
        try assertRefused("gpt2", mentions: ["n_positions", "transformer.wpe.weight"]) { $0["n_positions"] = 1024 }
        try assertRefused("gpt2", mentions: ["n_embd", "transformer.wte.weight"]) { $0["n_embd"] = 128 }
        try assertRefused("gpt2", mentions: ["n_inner", "c_fc"]) { $0["n_inner"] = 100 }
        try assertRefused("gpt2", mentions: ["n_layer", "holds 2 layers"]) { $0["n_layer"] = 1 }
        try assertRefused("llama", mentions: ["num_attention_heads × head_dim", "q_proj"]) { $0["head_dim"] = 32 }
        try assertRefused("llama", mentions: ["num_key_value_heads × head_dim", "k_proj"]) { $0["num_key_value_heads"] = 4 }
        try assertRefused("llama", mentions: ["intermediate_size", "gate_proj"]) { $0["intermediate_size"] = 161 }
        try assertRefused("gemma2", mentions: ["hidden_size", "embed_tokens"]) { $0["hidden_size"] = 32 }
        try assertRefused("gemma2", mentions: ["num_hidden_layers"]) {
            $0["num_hidden_layers"] = 6
            $0["layer_types"] = nil
        }
    }

    func testHeadCountsThatDoNotDivide() throws {
        try assertRefused("gpt_neox", mentions: ["num_attention_heads", "not a multiple"]) { $0["num_attention_heads"] = 3 }
        try assertRefused("gpt2", mentions: ["n_head", "not a multiple"]) { $0["n_head"] = 5 }
        try assertRefused("llama", mentions: ["num_key_value_heads", "not a multiple"]) { $0["num_key_value_heads"] = 3 }
        try assertRefused("llama", mentions: ["num_attention_heads", "more than hidden_size"]) {
            $0["num_attention_heads"] = 128
            $0["num_key_value_heads"] = 128
            $0["head_dim"] = nil
        }
        try assertRefused("llama", mentions: ["head_dim", "odd"]) { $0["head_dim"] = 15 }
        try assertRefused("gemma2", mentions: ["head_dim", "odd"]) { $0["head_dim"] = 17 }
    }

    func testEpsilonsScalesAndBasesMustBeFiniteAndPositive() throws {
        for bad: Any in [0, -1e-5, 1e300] {
            try assertRefused("gpt_neox", mentions: ["layer_norm_eps", "finite number above 0"]) { $0["layer_norm_eps"] = bad }
            try assertRefused("gpt2", mentions: ["layer_norm_epsilon", "finite number above 0"]) { $0["layer_norm_epsilon"] = bad }
            try assertRefused("llama", mentions: ["rms_norm_eps", "finite number above 0"]) { $0["rms_norm_eps"] = bad }
            try assertRefused("gemma2", mentions: ["query_pre_attn_scalar", "finite number above 0"]) { $0["query_pre_attn_scalar"] = bad }
            try assertRefused("gemma2", mentions: ["attn_logit_softcapping", "finite number above 0"]) { $0["attn_logit_softcapping"] = bad }
            try assertRefused("gemma2", mentions: ["final_logit_softcapping", "finite number above 0"]) { $0["final_logit_softcapping"] = bad }
            try assertRefused("llama", mentions: ["rope_parameters.rope_theta", "finite number above 0"]) {
                $0["rope_parameters"] = ["rope_theta": bad, "rope_type": "default"]
            }
        }
        try assertRefused("gpt_neox", mentions: ["rope_theta", "finite number above 0"]) {
            $0["rope_parameters"] = nil
            $0["rope_theta"] = -10000
        }
        try assertRefused("llama", mentions: ["rope_parameters.factor"]) {
            $0["rope_parameters"] = ["rope_theta": 10000, "rope_type": "linear", "factor": 0]
        }
        try assertRefused("gpt_neox", mentions: ["initializer_range"]) { $0["initializer_range"] = -1 }
    }

    func testGemmaWindowsAndLayerTypes() throws {
        try assertRefused("gemma2", mentions: ["sliding_window", "positive"]) { $0["sliding_window"] = 0 }
        try assertRefused("gemma2", mentions: ["sliding_window", "positive"]) { $0["sliding_window"] = -4 }
        try assertRefused("gemma2", mentions: ["layer_types"]) { $0["layer_types"] = ["full_attention"] }
        try assertRefused("gemma2", mentions: ["layer_types"]) { $0["layer_types"] = 5 }
        try assertRefused("gemma2", mentions: ["layer_types", "global"]) {
            $0["layer_types"] = ["global", "global", "global", "global"]
        }
    }

    func testWrongTypesNameTheKey() throws {
        try assertRefused("gpt_neox", mentions: ["hidden_size", "integer"]) { $0["hidden_size"] = "64" }
        try assertRefused("gpt_neox", mentions: ["hidden_size", "integer"]) { $0["hidden_size"] = 64.5 }
        try assertRefused("gpt_neox", mentions: ["rope_parameters.partial_rotary_factor", "number"]) {
            $0["rope_parameters"] = ["partial_rotary_factor": "half"]
        }
    }

    /// A new model to train has no tensors to check against: its sizes are checked against the
    /// machine's memory before its arenas are allocated.
    func testNewModelLargerThanMemoryIsRefused() throws {
        let url = URL(fileURLWithPath: "/nowhere/config.json")
        let values: [String: Any] = ["model_type": "gpt_neox", "vocab_size": 1 << 24, "hidden_size": 1 << 20, "num_hidden_layers": 4096,
                                     "num_attention_heads": 16, "intermediate_size": 1 << 20, "max_position_embeddings": 64]
        XCTAssertThrowsError(try ModelLoader.makeModel(ConfigFile(url: url, values: values))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(url.path + ": ") && text.contains("parameters") && text.contains("memory"), text)
        }
        var small = values
        small["vocab_size"] = 256; small["hidden_size"] = 64; small["num_attention_heads"] = 4; small["num_hidden_layers"] = 2; small["intermediate_size"] = 256
        XCTAssertNoThrow(try ModelLoader.makeModel(ConfigFile(url: url, values: small)))
    }
}
