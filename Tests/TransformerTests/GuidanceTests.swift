import Foundation
import TestSupport
import XCTest
@testable import Transformer

/// A hand-built model whose next-token logits depend only on the last token and its position:
/// `table[token][v] + position · slope[v]`, so a test can compute any step's distribution by
/// hand. It also checks that every sequence of a cache is fed in order (`past` equals the
/// tokens it has seen), which catches a guided twin fed at the wrong offset or not at all.
final class TableTestModel: CausalLanguageModel, @unchecked Sendable {
    let info: ModelInfo
    let parameters = ParameterStore(specs: [])
    let table: [[Float]]
    let slope: [Float]
    private var seen: [ObjectIdentifier: [Int: Int]] = [:]
    /// Held so that no later cache reuses an earlier one's address (its identifier).
    private var caches: [KVCache] = []
    private(set) var misfed = 0
    private(set) var slotsUsed = Set<Int>()

    init(vocabulary: Int, context: Int, seed: UInt64) {
        var random = ShuffleGenerator(seed: seed, stream: 3)
        func uniform() -> Float { Float(Double(random.next() >> 11) * 0x1.0p-53) }
        table = (0..<vocabulary).map { _ in (0..<vocabulary).map { _ in (uniform() - 0.5) * 4 } }
        slope = (0..<vocabulary).map { _ in (uniform() - 0.5) * 0.3 }
        info = ModelInfo(modelType: "table_test", vocabularySize: vocabulary, hiddenSize: 1, layers: 1, keyValueWidth: 1,
                         contextLength: context, bosTokenIDs: [], eosTokenIDs: [0], padTokenID: nil)
    }

    func logits(token: Int32, position: Int) -> [Float] {
        (0..<info.vocabularySize).map { table[Int(token)][$0] + Float(position) * slope[$0] }
    }

    func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        var out: [Float] = []
        if !caches.contains(where: { $0 === cache }) { caches.append(cache) }
        for s in batch.segments {
            if seen[ObjectIdentifier(cache), default: [:]][s.slot, default: 0] != s.past { misfed += 1 }
            seen[ObjectIdentifier(cache), default: [:]][s.slot] = s.past + s.count
            slotsUsed.insert(s.slot)
            let last = s.start + s.count - 1
            out += self.logits(token: batch.tokens[last], position: Int(batch.positions[last]))
        }
        return ForwardResult(logits: out, logitRows: batch.segments.count, hiddenStates: nil)
    }
}

/// Classifier-free guidance in `Generator`: each step samples from u + γ (c − u) of the
/// log-probabilities after the conditional and the unconditional prompt, γ = 1 is exactly
/// unguided generation, and the seeding contract holds.
final class GuidanceTests: XCTestCase {
    static let vocabulary = 9

    /// Prompts of various lengths over tokens 1..<vocabulary (0 is the end token).
    static func prompts(_ count: Int, seed: UInt64, maxLength: Int) -> [[Int32]] {
        var random = ShuffleGenerator(seed: seed, stream: 8)
        return (0..<count).map { _ in
            (0...random.below(maxLength)).map { _ in Int32(1 + random.below(vocabulary - 1)) }
        }
    }

    static func logSoftmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max()!)
        let lse = m + log(x.reduce(0.0) { $0 + exp(Double($1) - m) })
        return x.map { Double($0) - lse }
    }

    /// The token a sampler following `scores` draws with uniform `u`, written independently
    /// of `LogitsProcessing`: inverse CDF over the tokens in ascending order of score.
    static func draw(_ scores: [Double], uniform u: Double) -> Int32 {
        let order = scores.indices.filter { scores[$0] > -.infinity }.sorted { scores[$0] < scores[$1] }
        let m = scores.max()!
        let total = order.reduce(0.0) { $0 + exp(scores[$1] - m) }
        var target = u * total
        for i in order {
            target -= exp(scores[i] - m)
            if target < 0 { return Int32(i) }
        }
        return Int32(order.last!)
    }

    func testCombineIsTheGuidedLogProbabilities() {
        let c: [Float] = [2, -1, 0.5, 3, -.infinity, 1]
        let u: [Float] = [0, 1, 4, -2, 0, -.infinity]
        for gamma: Float in [0.5, 1, 2, 5] {
            var row = c
            u.withUnsafeBufferPointer { up in row.withUnsafeMutableBufferPointer { Guidance.combine($0, unconditional: up, scale: gamma) } }
            let lc = Self.logSoftmax(c), lu = Self.logSoftmax(u)
            for i in c.indices {
                if c[i] == -.infinity || u[i] == -.infinity {
                    XCTAssertEqual(row[i], -.infinity, "token \(i) ruled out by one row stays ruled out")
                } else {
                    XCTAssertEqual(Double(row[i]), lu[i] + Double(gamma) * (lc[i] - lu[i]), accuracy: 1e-5, "γ \(gamma), token \(i)")
                }
            }
        }
    }

    /// Every token of every sequence is the draw, with the generator's uniform for that
    /// sequence and step, from the guided distribution computed here by hand.
    func testGuidedSamplingDrawsFromTheCombinedDistribution() throws {
        let model = TableTestModel(vocabulary: Self.vocabulary, context: 40, seed: 1)
        let prompts = Self.prompts(30, seed: 2, maxLength: 6), twins = Self.prompts(30, seed: 3, maxLength: 3)
        let seed: UInt64 = 11, firstIndex = 5, length = 6
        for gamma: Float in [0.5, 2, 3] {
            let options = GenerationOptions(maxNewTokens: length, minNewTokens: length, sampling: SamplingOptions(sample: true), seed: seed,
                                            guidance: Guidance(unconditionalPrompts: twins, scale: gamma))
            let out = try Generator(model: model).generate(prompts: prompts, options: options, firstIndex: firstIndex)
            let random = CounterRandom(seed: seed)
            var changed = 0
            for (i, g) in out.enumerated() {
                XCTAssertEqual(g.tokens.count, length)
                for (step, token) in g.tokens.enumerated() {
                    let before = Array(g.tokens[..<step])
                    let c = prompts[i] + before, u = twins[i] + before
                    let lc = Self.logSoftmax(model.logits(token: c.last!, position: c.count - 1))
                    let lu = Self.logSoftmax(model.logits(token: u.last!, position: u.count - 1))
                    var scores = lc.indices.map { lu[$0] + Double(gamma) * (lc[$0] - lu[$0]) }
                    scores[0] = -.infinity  // the minimum length forbids the end token
                    let r = random.uniform(sequence: firstIndex + i, step: step)
                    XCTAssertEqual(token, Self.draw(scores, uniform: r), "γ \(gamma), prompt \(i), step \(step)")
                    var plain = lc
                    plain[0] = -.infinity
                    if Self.draw(plain, uniform: r) != token { changed += 1 }
                }
            }
            // The test has teeth: guidance changed some tokens compared with plain conditioning.
            XCTAssertGreaterThan(changed, 0, "γ \(gamma)")
        }
        XCTAssertEqual(model.misfed, 0, "a sequence was fed out of order")
    }

    /// γ = 1 is the conditional distribution: tokens identical to unguided generation, with
    /// every processor on, and the twins' lengths do not cut the budget.
    func testScaleOneIsExactlyUnguided() throws {
        let model = TableTestModel(vocabulary: Self.vocabulary, context: 12, seed: 4)
        let prompts = Self.prompts(12, seed: 5, maxLength: 4), twins = Self.prompts(12, seed: 6, maxLength: 10)
        var options = GenerationOptions(maxNewTokens: 8, minNewTokens: 2,
                                        sampling: SamplingOptions(sample: true, temperature: 0.8, topK: 5, topP: 0.9, repetitionPenalty: 1.3), seed: 3)
        let plain = try Generator(model: model).generate(prompts: prompts, options: options)
        options.guidance = Guidance(unconditionalPrompts: twins, scale: 1)
        let guided = try Generator(model: model).generate(prompts: prompts, options: options)
        XCTAssertEqual(plain.map(\.tokens), guided.map(\.tokens))
        XCTAssertEqual(plain.map(\.finishReason), guided.map(\.finishReason))
        XCTAssertTrue(model.slotsUsed.allSatisfy { $0 < prompts.count }, "scale 1 should not run the unconditional twins")
    }

    /// The budget is the smaller of the pair's: a long twin leaves less room in the context.
    func testGuidedBudgetIsTheSmallerOfThePair() throws {
        let model = TableTestModel(vocabulary: Self.vocabulary, context: 12, seed: 7)
        let options = GenerationOptions(maxNewTokens: 20, minNewTokens: 20, sampling: SamplingOptions(sample: true),
                                        guidance: Guidance(unconditionalPrompts: [[1, 2, 3, 4, 5, 6, 7, 8, 1], [1]], scale: 2))
        let out = try Generator(model: model).generate(prompts: [[2, 3], [4, 5, 6]], options: options)
        XCTAssertEqual(out.map(\.tokens.count), [12 - 9, 12 - 3])
        XCTAssertEqual(out.map(\.finishReason), [.length, .length])
        XCTAssertEqual(model.misfed, 0)
    }

    /// Prompt i samples from stream firstIndex + i, guided or not: batches of any size give
    /// the same tokens, and so do prefill passes of any size.
    func testGuidedOutputDoesNotDependOnBatching() throws {
        let model = TableTestModel(vocabulary: Self.vocabulary, context: 40, seed: 8)
        let prompts = Self.prompts(10, seed: 9, maxLength: 7), twins = Self.prompts(10, seed: 10, maxLength: 5)
        var options = GenerationOptions(maxNewTokens: 7, sampling: SamplingOptions(sample: true, topK: 6), seed: 21,
                                        guidance: Guidance(unconditionalPrompts: twins, scale: 2.5))
        let whole = try Generator(model: model).generate(prompts: prompts, options: options).map(\.tokens)
        options.maxTokensPerPass = 3
        var pieces: [[Int32]] = []
        for start in stride(from: 0, to: prompts.count, by: 3) {
            let range = start..<min(prompts.count, start + 3)
            options.guidance = Guidance(unconditionalPrompts: Array(twins[range]), scale: 2.5)
            pieces += try Generator(model: model).generate(prompts: Array(prompts[range]), options: options, firstIndex: start).map(\.tokens)
        }
        XCTAssertEqual(whole, pieces)
        XCTAssertEqual(model.misfed, 0)
    }

    /// On a real transformer with a KV cache: twins identical to their prompts make c = u, so
    /// any scale gives the conditional distribution, and greedy search the unguided tokens.
    /// This checks that the 2N sequences share one cache without mixing.
    func testIdenticalTwinsOnATransformerGiveTheUnguidedTokens() throws {
        let values: [String: Any] = [
            "model_type": "gpt_neox", "vocab_size": 40, "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64, "rotary_pct": 0.25,
            "use_parallel_residual": true, "tie_word_embeddings": false, "initializer_range": 0.5,
            "eos_token_id": 0,
        ]
        let model = try XCTUnwrap(try ModelLoader.makeModel(ConfigFile(url: URL(fileURLWithPath: "/virtual/config.json"), values: values))
                                  as? any TrainableModel)
        model.initializeParameters(seed: 3)
        var random = ShuffleGenerator(seed: 4, stream: 1)
        let prompts: [[Int32]] = (0..<6).map { i in (0..<(2 + 3 * i)).map { _ in Int32(1 + random.below(39)) } }
        var options = GenerationOptions(maxNewTokens: 12, minNewTokens: 12)
        let plain = try Generator(model: model).generate(prompts: prompts, options: options).map(\.tokens)
        options.guidance = Guidance(unconditionalPrompts: prompts, scale: 3)
        let guided = try Generator(model: model).generate(prompts: prompts, options: options).map(\.tokens)
        XCTAssertEqual(plain, guided)
        // With other twins, guidance changes the output (the comparison above is not vacuous).
        options.guidance = Guidance(unconditionalPrompts: prompts.map { Array($0.reversed()) + [7] }, scale: 3)
        XCTAssertNotEqual(try Generator(model: model).generate(prompts: prompts, options: options).map(\.tokens), plain)
    }

    func testInvalidGuidanceIsRejected() {
        let model = TableTestModel(vocabulary: Self.vocabulary, context: 8, seed: 1)
        func message(_ guidance: Guidance) -> String {
            do {
                _ = try Generator(model: model).generate(prompts: [[1, 2]], options: GenerationOptions(guidance: guidance))
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(message(Guidance(unconditionalPrompts: [[1]], scale: 0)).contains("positive"))
        XCTAssertTrue(message(Guidance(unconditionalPrompts: [[1]], scale: .nan)).contains("positive"))
        XCTAssertTrue(message(Guidance(unconditionalPrompts: [[1], [2]], scale: 2)).contains("one unconditional prompt per prompt"))
        XCTAssertTrue(message(Guidance(unconditionalPrompts: [[]], scale: 2)).contains("unconditional prompt 1 is empty"))
        XCTAssertTrue(message(Guidance(unconditionalPrompts: [Array(repeating: 1, count: 8)], scale: 2)).contains("unconditional prompt 1 has 8 tokens"))
    }
}
