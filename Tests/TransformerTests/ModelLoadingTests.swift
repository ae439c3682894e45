import XCTest
import TestSupport
@testable import Transformer

/// Bad model folders and inputs give clear errors, never a crash.
final class ModelLoadingTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("c2s-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A copy of a fixture model whose config.json is edited by `edit`.
    func copy(_ name: String, edit: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        let source = TestPaths.fixtures.appendingPathComponent("lm/\(name)")
        let target = scratch.appendingPathComponent(name)
        try FileManager.default.copyItem(at: source, to: target)
        let configURL = target.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        return target
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "" } catch { return "\(error)" }
    }

    func testMissingFolderConfigAndWeightsAreNamed() throws {
        XCTAssertTrue(message { try ModelLoader.load(folder: self.scratch.appendingPathComponent("nope")) }.contains("no such model folder"))
        let empty = scratch.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertTrue(message { try ModelLoader.load(folder: empty) }.contains("no config.json"))
        let noWeights = try copy("gpt2")
        try FileManager.default.removeItem(at: noWeights.appendingPathComponent("model.safetensors"))
        let text = message { try ModelLoader.load(folder: noWeights) }
        XCTAssertTrue(text.contains("model.safetensors"), text)
    }

    func testUnsupportedModelTypeListsTheSupportedOnes() throws {
        let folder = try copy("gpt2") { $0["model_type"] = "bert" }
        let text = message { try ModelLoader.load(folder: folder) }
        XCTAssertTrue(text.contains("\"bert\" is not supported"), text)
        for type in ModelLoader.supportedTypes { XCTAssertTrue(text.contains(type), text) }
    }

    func testConfigThatDisagreesWithTheWeightsNamesEveryTensor() throws {
        let folder = try copy("llama") { $0["intermediate_size"] = 96 }
        let text = message { try ModelLoader.load(folder: folder) }
        XCTAssertTrue(text.contains("mlp.gate_proj.weight"), text)
        XCTAssertTrue(text.contains("[96, 64]"), text)
        let fewer = try copy("gpt_neox") { $0["num_hidden_layers"] = 1 }
        let extra = message { try ModelLoader.load(folder: fewer) }
        XCTAssertTrue(extra.contains("unexpected") && extra.contains("gpt_neox.layers.1."), extra)
    }

    func testBadConfigValuesAreExplained() throws {
        let folder = try copy("gpt_neox") { $0["hidden_size"] = "wide" }
        XCTAssertTrue(message { try ModelLoader.load(folder: folder) }.contains("\"hidden_size\" must be an integer"))
        let rope = try copy("llama") { $0["rope_parameters"] = ["rope_type": "yarn", "rope_theta": 10000.0] }
        XCTAssertTrue(message { try ModelLoader.load(folder: rope) }.contains("rope type \"yarn\""))
        let act = try copy("gpt2") { $0["activation_function"] = "mish" }
        XCTAssertTrue(message { try ModelLoader.load(folder: act) }.contains("\"mish\""))
    }

    /// Pythia checkpoints on the Hub use the older rotary keys; both spellings decode alike.
    func testOlderGPTNeoXRotaryKeysDecodeTheSameModel() throws {
        let folder = try copy("gpt_neox") { config in
            config.removeValue(forKey: "rope_parameters")
            config["rotary_pct"] = 0.5
            config["rotary_emb_base"] = 10000
        }
        let old = try XCTUnwrap(try ModelLoader.load(folder: folder) as? GPTNeoX)
        let new = try XCTUnwrap(try ModelLoader.load(folder: TestPaths.fixtures.appendingPathComponent("lm/gpt_neox")) as? GPTNeoX)
        XCTAssertEqual(old.config.rotaryDims, new.config.rotaryDims)
        XCTAssertEqual(old.config.rotaryDims, 8)
        XCTAssertEqual(old.config.ropeBase, new.config.ropeBase)
    }

    func testPromptLongerThanTheContextIsRefused() throws {
        let model = try ModelLoader.load(folder: TestPaths.fixtures.appendingPathComponent("lm/gpt2"))
        let long = [Int32](repeating: 5, count: model.info.contextLength)
        let text = message { try Generator(model: model).generate(prompts: [long], options: GenerationOptions(maxNewTokens: 4)) }
        XCTAssertTrue(text.contains("context holds 64"), text)
        XCTAssertTrue(message { try Generator(model: model).generate(prompts: [[5, 300]], options: GenerationOptions()) }.contains("outside the vocabulary"))
        XCTAssertTrue(message { try Generator(model: model).generate(prompts: [[]], options: GenerationOptions()) }.contains("empty"))
        // Generation stops at the context's end rather than overflowing it.
        let nearlyFull = [Int32](repeating: 5, count: model.info.contextLength - 3)
        let out = try Generator(model: model).generate(prompts: [nearlyFull], options: GenerationOptions(maxNewTokens: 10, minNewTokens: 10))
        XCTAssertEqual(out[0].tokens.count, 3)
        XCTAssertEqual(out[0].finishReason, .length)
    }

    func testSamplingIsSeededAndIndependentOfBatchAndThreads() throws {
        let model = try ModelLoader.load(folder: TestPaths.fixtures.appendingPathComponent("lm/llama"))
        let prompts: [[Int32]] = [[5, 9, 33, 71], [8, 8, 120], [200, 14, 15, 16, 17, 3]]
        let options = GenerationOptions(maxNewTokens: 16, minNewTokens: 16,
                                        sampling: SamplingOptions(sample: true, temperature: 1.2, topK: 50, topP: 0.95), seed: 7)
        let batch = try Generator(model: model).generate(prompts: prompts, options: options)
        let saved = KernelThreads.count
        KernelThreads.count = 1
        defer { KernelThreads.count = saved }
        let oneThread = try Generator(model: model).generate(prompts: prompts, options: options)
        XCTAssertEqual(oneThread.map(\.tokens), batch.map(\.tokens))
        // The third prompt in a batch of its own, at its index: the same continuation.
        let alone = try Generator(model: model).generate(prompts: [prompts[2]], options: options, firstIndex: 2)
        XCTAssertEqual(alone[0].tokens, batch[2].tokens)
        var other = options
        other.seed = 8
        let reseeded = try Generator(model: model).generate(prompts: prompts, options: other)
        XCTAssertNotEqual(reseeded.map(\.tokens), batch.map(\.tokens))
    }

    /// OpenAI-converted GPT-2 checkpoints name tensors without `transformer.` and may store
    /// the tied head; both load to the same model.
    func testGPT2WithoutPrefixAndWithStoredTiedHeadLoadsTheSameModel() throws {
        let folder = try copy("gpt2")
        let weights = folder.appendingPathComponent("model.safetensors")
        let original = try SafetensorsFile(path: weights.path)
        var arrays: [(String, [Int], [Float])] = []
        for info in original.tensors {
            arrays.append((String(info.name.dropFirst("transformer.".count)), info.shape, try original.floats(info.name)))
        }
        let wte = try XCTUnwrap(arrays.first { $0.0 == "wte.weight" })
        arrays.append(("lm_head.weight", wte.1, wte.2))
        // The writer reads from pointers when it writes, so the values live in buffers we own.
        var writer = SafetensorsWriter()
        var buffers: [UnsafeMutablePointer<Float>] = []
        defer { buffers.forEach { $0.deallocate() } }
        for (name, shape, values) in arrays {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, values.count))
            buffer.initialize(from: values, count: values.count)
            buffers.append(buffer)
            try writer.add(name, shape: shape, from: buffer)
        }
        try writer.write(to: weights.path)
        let renamed = try ModelLoader.load(folder: folder)
        let reference = try ModelLoader.load(folder: TestPaths.fixtures.appendingPathComponent("lm/gpt2"))
        let tokens: [Int32] = [5, 9, 200, 31, 7]
        var outputs: [[Float]] = []
        for m in [renamed, reference] {
            var batch = ForwardBatch()
            batch.append(slot: 0, newTokens: tokens, past: 0)
            outputs.append(try m.forward(batch, cache: m.makeCache(capacities: [5]), logits: .all, hiddenStates: false).logits)
        }
        XCTAssertEqual(outputs[0], outputs[1])
    }
}
