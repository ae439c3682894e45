import XCTest
import TestSupport
@testable import Transformer

/// LoRA against PEFT on the tiny training checkpoints (fixtures:
/// scripts/fixtures/make_lora_fixtures.py): the adapted logits, the summed loss and the
/// gradient of every adapter matrix (torch in float64), the merge, and a frozen base.
final class LoRAParityTests: XCTestCase {
    static let cases = ["gemma2": "gemma2", "llama": "llama", "gpt_neox": "gpt_neox_parallel", "gpt2": "gpt2"]

    struct Fixture {
        var model: LowRankAdaptedModel
        var batch: TrainingBatch
        var sequence: [Int32]
        var json: [String: Any]
        var reference: ParameterStore
    }

    static func fixture(_ name: String) throws -> Fixture {
        let root = TestPaths.fixtures.appendingPathComponent("lora/\(name)")
        let baseFolder = TestPaths.fixtures.appendingPathComponent("training/\(cases[name]!)")
        let base = try ModelLoader.load(folder: baseFolder)
        let model = try LowRankAdaptedModel.load(adapter: root.appendingPathComponent("adapter").path, onto: base)
        let training = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: baseFolder.appendingPathComponent("expected.json"))) as? [String: Any])
        let sequences = try XCTUnwrap(training["sequences"] as? [[Int]])
        let targets = try XCTUnwrap(training["targets"] as? [[Int]])
        let batch = TrainingBatch(tokens: sequences.flatMap { $0.map(Int32.init) }, lengths: sequences.map(\.count),
                                  targets: targets.flatMap { $0.map(Int32.init) })
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("expected.json"))) as? [String: Any])
        let reference = ParameterStore(specs: model.parameters.specs)
        let grads = try SafetensorsFile(path: root.appendingPathComponent("grads.safetensors").path)
        try reference.load(from: grads, rename: { String($0.dropFirst("grad.".count)) }, ignoring: [])
        let index = try XCTUnwrap(json["logits_sequence"] as? Int)
        return Fixture(model: model, batch: batch, sequence: sequences[index].map(Int32.init), json: json, reference: reference)
    }

    func logits(_ model: any CausalLanguageModel, _ tokens: [Int32]) throws -> [Float] {
        let cache = model.makeCache(capacities: [tokens.count])
        var batch = ForwardBatch()
        batch.append(slot: 0, newTokens: tokens, past: 0)
        return try model.forward(batch, cache: cache, logits: .all, hiddenStates: false).logits
    }

    static func maxDifference(_ a: [Float], _ b: [[Double]]) -> Double {
        let flat = b.flatMap { $0 }
        precondition(a.count == flat.count)
        return zip(a, flat).map { abs(Double($0) - $1) }.max() ?? 0
    }

    func testAdaptedLogitsLossAndAdapterGradientsMatchPEFT() throws {
        for name in Self.cases.keys.sorted() {
            let f = try Self.fixture(name)
            XCTAssertEqual(f.model.parameters.specs.count, 2 * (f.json["adapted_modules"] as? Int ?? -1), name)
            let expected = try XCTUnwrap(f.json["logits"] as? [[Double]])
            let adapted = try logits(f.model, f.sequence)
            let logitError = Self.maxDifference(adapted, expected)
            XCTAssertLessThanOrEqual(logitError, 1e-4, "\(name): adapted logits vs PEFT")
            // The base alone gives the base's logits: the adapters are not merged into it.
            let baseError = Self.maxDifference(try logits(f.model.base, f.sequence), try XCTUnwrap(f.json["base_logits"] as? [[Double]]))
            XCTAssertLessThanOrEqual(baseError, 1e-4, "\(name): base logits")

            let baseBefore = Array(UnsafeBufferPointer(start: f.model.base.parameters.base, count: f.model.base.parameters.count))
            var g = [Float](repeating: 0, count: f.model.parameters.count)
            let loss = try g.withUnsafeMutableBufferPointer { try f.model.accumulateGradients(f.batch, scale: 1, into: $0.baseAddress!) }
            let lossSum = try XCTUnwrap(f.json["loss_sum"] as? Double)
            XCTAssertEqual(loss.sum, lossSum, accuracy: 1e-5 * abs(lossSum), "\(name): summed loss")
            let worst = g.withUnsafeBufferPointer {
                TrainingParityTests.worstTensor($0.baseAddress!, f.reference.base, store: f.model.parameters)
            }
            XCTAssertLessThanOrEqual(worst.error, TrainingParityTests.gradientTolerance(name), "\(name): gradient of \(worst.name)")
            XCTAssertEqual(baseBefore, Array(UnsafeBufferPointer(start: f.model.base.parameters.base, count: f.model.base.parameters.count)),
                           "\(name): the base is frozen")
            XCTAssertEqual(try f.model.loss(f.batch).sum, loss.sum, accuracy: 1e-9 * abs(loss.sum), "\(name): loss(_:) agrees")
            print("\(name) LoRA vs PEFT: logits max diff \(logitError), loss rel error \(abs(loss.sum - lossSum) / lossSum), worst gradient \(worst.name) \(worst.error)")
        }
    }

    /// Merging gives a plain model with the adapted logits (PEFT's merge_and_unload).
    func testMergedBaseComputesTheAdaptedModel() throws {
        for name in Self.cases.keys.sorted() {
            let f = try Self.fixture(name)
            let expected = try XCTUnwrap(f.json["logits"] as? [[Double]])
            f.model.mergeIntoBase()
            let merged = try logits(f.model.base, f.sequence)
            XCTAssertLessThanOrEqual(Self.maxDifference(merged, expected), 1e-4, "\(name): merged logits")
        }
    }

    /// Adapter folders this engine cannot apply exactly are refused by name, never half-read.
    func testBadAdapterFoldersGiveClearErrors() throws {
        let base = try ModelLoader.load(folder: TestPaths.fixtures.appendingPathComponent("training/llama"))
        let good = TestPaths.fixtures.appendingPathComponent("lora/llama/adapter")
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: good.appendingPathComponent("adapter_config.json"))) as? [String: Any])
        func folder(_ edit: (inout [String: Any]) -> Void, weights: Bool = true) throws -> (TemporaryFolder, String) {
            let tmp = try TemporaryFolder()
            var c = config
            edit(&c)
            try JSONSerialization.data(withJSONObject: c).write(to: URL(fileURLWithPath: tmp.file("adapter_config.json")))
            if weights {
                try FileManager.default.copyItem(atPath: good.appendingPathComponent("adapter_model.safetensors").path,
                                                 toPath: tmp.file("adapter_model.safetensors"))
            }
            return (tmp, tmp.path)
        }
        let cases: [((inout [String: Any]) -> Void, Bool, [String])] = [
            ({ $0["use_dora"] = true }, true, ["DoRA"]),
            ({ $0["rank_pattern"] = ["q_proj": 8] }, true, ["rank_pattern"]),
            ({ $0["target_modules"] = ".*proj" }, true, ["regular expressions"]),
            ({ $0["r"] = 8 }, true, ["lora_A", "shape"]),
            // Checked against the stored matrices before the adapters are allocated (issue 17).
            ({ $0["r"] = 1 << 40 }, true, ["adapter_config.json", "\"r\" is 1099511627776", "lora_A"]),
            ({ $0["lora_alpha"] = 1e300 }, true, ["adapter_config.json", "lora_alpha", "finite"]),
            ({ $0["target_modules"] = ["q_proj"] }, true, ["k_proj"]),
            ({ _ in }, false, ["adapter_model.safetensors"]),
        ]
        for (edit, weights, words) in cases {
            let (tmp, path) = try folder(edit, weights: weights)
            XCTAssertThrowsError(try LowRankAdaptedModel.load(adapter: path, onto: base)) { error in
                let text = "\(error)"
                XCTAssertTrue(words.allSatisfy { text.contains($0) }, text)
            }
            _ = tmp
        }
    }

    /// New adapters start as the base (B = 0) with A uniform on ±1/√in, and bad settings or
    /// unknown targets are refused by name.
    func testNewAdaptersStartAsTheBaseAndBadSettingsAreRefused() throws {
        let base = try ModelLoader.load(folder: TestPaths.fixtures.appendingPathComponent("training/llama"))
        let model = try LowRankAdaptedModel(base: base, configuration: LoRAConfiguration(rank: 8, targets: ["q_proj", "down_proj"]))
        model.initializeParameters(seed: 3)
        XCTAssertEqual(model.adaptedModules, ["model.layers.0.self_attn.q_proj", "model.layers.0.mlp.down_proj",
                                              "model.layers.1.self_attn.q_proj", "model.layers.1.mlp.down_proj"])
        for spec in model.parameters.specs {
            let p = model.parameters.pointer(spec.name)
            let values = Array(UnsafeBufferPointer(start: p, count: spec.count))
            if spec.name.hasSuffix("lora_B.weight") {
                XCTAssertTrue(values.allSatisfy { $0 == 0 }, spec.name)
            } else {
                let bound = Float(1 / Double(spec.shape[1]).squareRoot())
                XCTAssertTrue(values.allSatisfy { abs($0) <= bound }, spec.name)
                XCTAssertGreaterThan(values.map(abs).max() ?? 0, 0.8 * bound, spec.name)
            }
        }
        let tokens: [Int32] = [5, 9, 11, 3, 7]
        XCTAssertEqual(try logits(model, tokens), try logits(base, tokens))
        XCTAssertThrowsError(try LowRankAdaptedModel(base: base, configuration: LoRAConfiguration(rank: 4, targets: ["c_attn"]))) { error in
            XCTAssertTrue("\(error)".contains("c_attn") && "\(error)".contains("q_proj"), "\(error)")
        }
        XCTAssertThrowsError(try LowRankAdaptedModel(base: base, configuration: LoRAConfiguration(rank: 0)))
    }
}

/// LoRA dropout: masks drawn from a key (no stream to replay), and gradients that are the
/// derivative of the loss under that mask.
final class LoRADropoutTests: XCTestCase {
    func testMaskIsAFunctionOfItsKeyKeepsTheRightShareAndScales() {
        let rows = 64, width = 300, n = rows * width
        let x = [Float](repeating: 1, count: n)
        func draw(_ mask: DropoutMask, threads: Int) -> [Float] {
            var y = [Float](repeating: 0, count: n)
            let saved = KernelThreads.count
            KernelThreads.count = threads
            x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { mask.apply(xs.baseAddress!, into: $0.baseAddress!, rows: rows, width: width) } }
            KernelThreads.count = saved
            return y
        }
        let mask = DropoutMask(probability: 0.25, key: 77, stream: 3)
        let a = draw(mask, threads: 1)
        XCTAssertEqual(a, draw(mask, threads: 3), "the same mask on any thread count")
        XCTAssertNotEqual(a, draw(DropoutMask(probability: 0.25, key: 78, stream: 3), threads: 1))
        XCTAssertNotEqual(a, draw(DropoutMask(probability: 0.25, key: 77, stream: 4), threads: 1))
        XCTAssertTrue(a.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
        let kept = Double(a.filter { $0 != 0 }.count) / Double(n)
        XCTAssertEqual(kept, 0.75, accuracy: 4 * (0.75 * 0.25 / Double(n)).squareRoot())
    }

    func testAdapterGradientsAreTheDerivativeOfTheLossUnderTheMask() throws {
        let f = try LoRAParityTests.fixture("llama")
        let model = try LoRAParityTests.withDropout(f, 0.3)
        let n = model.parameters.count
        func pass(key: UInt64) throws -> (Double, [Float]) {
            model.setRandomKey(key, firstRow: 0)
            var g = [Float](repeating: 0, count: n)
            let loss = try g.withUnsafeMutableBufferPointer { try model.accumulateGradients(f.batch, scale: 1, into: $0.baseAddress!) }
            return (loss.sum, g)
        }
        let (loss, g) = try pass(key: 5)
        XCTAssertEqual(try pass(key: 5).1, g, "the same key, the same mask")
        XCTAssertNotEqual(try pass(key: 6).1, g, "another key, another mask")
        let (plain, _) = (try f.model.accumulateGradientsSum(f.batch), 0)
        XCTAssertNotEqual(loss, plain, "dropout changes the training loss")
        XCTAssertEqual(try model.loss(f.batch).sum, plain, accuracy: 1e-9 * abs(plain), "validation runs without dropout")
        // Central difference along g itself: (L(θ + εĝ) − L(θ − εĝ)) / 2ε = |g|.
        let norm = g.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        let epsilon = 1e-2
        let saved = Array(UnsafeBufferPointer(start: model.parameters.base, count: n))
        func shifted(_ sign: Double) throws -> Double {
            for i in 0..<n { model.parameters.base[i] = saved[i] + Float(sign * epsilon * Double(g[i]) / norm) }
            return try pass(key: 5).0
        }
        let slope = (try shifted(1) - (try shifted(-1))) / (2 * epsilon)
        model.parameters.base.update(from: saved, count: n)
        XCTAssertEqual(slope, norm, accuracy: 2e-2 * norm, "directional derivative under the mask")
    }
}

extension LoRAParityTests {
    /// The fixture's adapters (same values) with dropout `p` on their inputs.
    static func withDropout(_ f: Fixture, _ p: Double) throws -> LowRankAdaptedModel {
        var config = f.model.configuration
        config.dropout = p
        let model = try LowRankAdaptedModel(base: f.model.base, configuration: config)
        model.parameters.base.update(from: f.model.parameters.base, count: f.model.parameters.count)
        return model
    }
}

extension LowRankAdaptedModel {
    /// The training loss without dropout (the model as loaded: dropout 0).
    func accumulateGradientsSum(_ batch: TrainingBatch) throws -> Double {
        var g = [Float](repeating: 0, count: parameters.count)
        return try g.withUnsafeMutableBufferPointer { try accumulateGradients(batch, scale: 1, into: $0.baseAddress!) }.sum
    }
}
