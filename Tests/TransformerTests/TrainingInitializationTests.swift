import XCTest
import TestSupport
@testable import Transformer

/// `initializeParameters(seed:)`: transformers' `_init_weights` rules per architecture, drawn
/// from a seeded counter-based generator that gives the same model on any thread count.
final class TrainingInitializationTests: XCTestCase {
    static func model(_ values: [String: Any]) throws -> any TrainableModel {
        let file = ConfigFile(url: URL(fileURLWithPath: "/virtual/config.json"), values: values)
        return try XCTUnwrap(try ModelLoader.makeModel(file) as? any TrainableModel)
    }

    static var neox: [String: Any] {
        ["model_type": "gpt_neox", "vocab_size": 500, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
         "intermediate_size": 256, "max_position_embeddings": 128, "rotary_pct": 0.25, "initializer_range": 0.05]
    }

    /// Mean, standard deviation and fraction within one standard deviation of a tensor.
    static func moments(_ p: UnsafePointer<Float>, _ n: Int) -> (mean: Double, std: Double, withinOne: Double) {
        var sum = 0.0, squares = 0.0
        for i in 0..<n { sum += Double(p[i]); squares += Double(p[i]) * Double(p[i]) }
        let mean = sum / Double(n), std = (squares / Double(n) - mean * mean).squareRoot()
        var within = 0
        for i in 0..<n where abs(Double(p[i]) - mean) <= std { within += 1 }
        return (mean, std, Double(within) / Double(n))
    }

    /// Checks every parameter against `expected` (nil: the normal σ for that name; else a
    /// constant) and returns the normal tensors' names.
    func checkRules(_ m: any TrainableModel, normal: (String) -> Double?, constant: (String) -> Float?) {
        let store = m.parameters
        for spec in store.specs {
            let p = store.pointer(spec.name), n = spec.count
            if let c = constant(spec.name) {
                XCTAssertTrue((0..<n).allSatisfy { p[$0] == c }, "\(spec.name) should be all \(c)")
            } else if let sigma = normal(spec.name) {
                let (mean, std, within) = Self.moments(p, n)
                // 5 standard errors for the mean, 3% for σ, the normal's 68.3% within ±σ.
                XCTAssertLessThan(abs(mean), 5 * sigma / Double(n).squareRoot(), "\(spec.name) mean")
                XCTAssertEqual(std, sigma, accuracy: 0.03 * sigma + 3 * sigma / Double(2 * n).squareRoot(), "\(spec.name) σ")
                if n >= 10_000 { XCTAssertEqual(within, 0.6827, accuracy: 0.01, "\(spec.name) is not normal-shaped") }
            } else {
                XCTFail("no rule for \(spec.name)")
            }
        }
    }

    func testGPTNeoXFollowsTransformersInitWeights() throws {
        let m = try Self.model(Self.neox)
        m.initializeParameters(seed: 42)
        checkRules(m, normal: { $0.hasSuffix(".weight") ? 0.05 : nil }, constant: { name in
            if name.hasSuffix(".bias") { return 0 }
            if name.hasSuffix("layernorm.weight") || name.hasSuffix("layer_norm.weight") { return 1 }
            return nil
        })
        // A freshly initialised model predicts almost uniformly: the logits (unit-variance
        // normed states times σ = 0.05 weights over 64 dims) have variance s² = 0.16, so the
        // mean loss is about ln(vocabulary) + s²/2.
        let tokens: [Int32] = (0..<40).map { Int32(($0 * 37) % 500) }
        let batch = TrainingBatch(tokens: tokens, lengths: [25, 15], targets: tokens.indices.map { $0 == 24 || $0 == 39 ? -100 : tokens[($0 + 1) % 40] })
        XCTAssertEqual(try m.loss(batch).mean, log(500.0) + 0.08, accuracy: 0.06)
    }

    func testGPT2FollowsTransformersInitWeights() throws {
        let m = try Self.model(["model_type": "gpt2", "vocab_size": 500, "n_embd": 64, "n_layer": 3, "n_head": 4, "n_positions": 128])
        m.initializeParameters(seed: 42)
        // σ = 0.02 (the default initializer_range); the residual projections 0.02/√(2·3).
        checkRules(m, normal: { $0.hasSuffix("c_proj.weight") ? 0.02 / 6.0.squareRoot() : $0.hasSuffix(".weight") ? 0.02 : nil },
                   constant: { name in
                       if name.hasSuffix(".bias") { return 0 }
                       if name.contains(".ln_") { return 1 }
                       return nil
                   })
    }

    func testLlamaFollowsTransformersInitWeights() throws {
        let m = try Self.model(["model_type": "llama", "vocab_size": 500, "hidden_size": 64, "num_hidden_layers": 2,
                                "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
                                "attention_bias": true, "initializer_range": 0.03])
        m.initializeParameters(seed: 42)
        checkRules(m, normal: { $0.hasSuffix(".weight") ? 0.03 : nil }, constant: { name in
            if name.hasSuffix(".bias") { return 0 }
            if name.hasSuffix("norm.weight") { return 1 }
            return nil
        })
    }

    func testGemma2FollowsTransformersInitWeights() throws {
        let m = try Self.model(["model_type": "gemma2", "vocab_size": 500, "hidden_size": 64, "num_hidden_layers": 2,
                                "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 128,
                                "attention_bias": true, "initializer_range": 0.03])
        m.initializeParameters(seed: 42)
        // Gemma's RMSNorm multiplies by 1 + weight: its weights start at 0, not 1.
        checkRules(m, normal: { $0.hasSuffix(".weight") ? 0.03 : nil }, constant: { name in
            if name.hasSuffix(".bias") || name.hasSuffix("norm.weight") { return 0 }
            return nil
        })
        XCTAssertEqual(m.outputHeadParameter, "model.embed_tokens.weight", "Gemma-2's head is the tied token table")
    }

    func testSameSeedSameModelOnAnyThreadCount() throws {
        let a = try Self.model(Self.neox), b = try Self.model(Self.neox), c = try Self.model(Self.neox)
        let saved = KernelThreads.count
        KernelThreads.count = 1
        a.initializeParameters(seed: 7)
        KernelThreads.count = 3
        b.initializeParameters(seed: 7)
        KernelThreads.count = saved
        c.initializeParameters(seed: 8)
        let n = a.parameters.count
        XCTAssertEqual(memcmp(a.parameters.base, b.parameters.base, n * 4), 0, "1 thread and 3 threads give the same weights")
        var differ = 0
        for i in 0..<n where a.parameters.base[i] != c.parameters.base[i] { differ += 1 }
        XCTAssertGreaterThan(differ, n / 2, "another seed gives other weights")
        // Different tensors are not copies of one stream.
        let e = a.parameters.pointer("gpt_neox.embed_in.weight"), o = a.parameters.pointer("embed_out.weight")
        XCTAssertNotEqual(Array(UnsafeBufferPointer(start: e, count: 64)), Array(UnsafeBufferPointer(start: o, count: 64)))
    }
}
