import XCTest
import TestSupport
@testable import Transformer

/// The logits processors against transformers' own (fixtures by make_lm_fixtures.py).
final class LogitsProcessingTests: XCTestCase {
    func testProcessorsMatchTransformers() throws {
        let json = try XCTUnwrap(try loadGzipJSON("lm/logits_processors.json.gz") as? [String: Any])
        let logits = (json["logits"] as! [Double]).map { Float($0) }
        let prompt = (json["prompt"] as! [Int]).map { Int32($0) }
        let cases = json["cases"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.count, 5)
        for c in cases {
            let temperature = Float(c["temperature"] as! Double), topK = c["top_k"] as! Int
            let topP = Float(c["top_p"] as! Double), penalty = Float(c["repetition_penalty"] as! Double)
            let expected = (c["processed"] as! [Any]).map { ($0 as? Double).map { Float($0) } ?? -.infinity }
            var row = logits
            var seen = Set<Int32>()
            row.withUnsafeMutableBufferPointer { r in
                LogitsProcessing.penalizeRepetition(r, history: prompt, penalty: penalty, seen: &seen)
                LogitsProcessing.applyTemperature(r, temperature)
                let kept = LogitsProcessing.topK(r, topK)
                LogitsProcessing.topP(r, topP, ascending: kept)
            }
            for (i, (a, b)) in zip(row, expected).enumerated() {
                if b == -.infinity {
                    XCTAssertEqual(a, -.infinity, "case \(c) token \(i) should be removed")
                } else {
                    XCTAssertEqual(a, b, accuracy: 1e-5, "case \(c) token \(i)")
                }
            }
        }
        let minimum = json["min_new_tokens"] as! [String: Any]
        var row = logits
        let expected = (minimum["processed"] as! [Any]).map { ($0 as? Double).map { Float($0) } ?? -.infinity }
        // The prompt has 6 tokens of which 4 are the prompt proper: 2 generated so far.
        row.withUnsafeMutableBufferPointer { r in
            LogitsProcessing.enforceMinimumLength(r, generated: prompt.count - (minimum["prompt_length"] as! Int),
                                                  minNewTokens: minimum["min_new_tokens"] as! Int, eos: [Int32(minimum["eos"] as! Int)])
        }
        XCTAssertEqual(row.map { $0 == -.infinity }, expected.map { $0 == -.infinity })
    }

    func testSamplingIsReproducibleAndIndependentOfOrder() {
        let random = CounterRandom(seed: 42)
        XCTAssertEqual(random.uniform(sequence: 3, step: 7), CounterRandom(seed: 42).uniform(sequence: 3, step: 7))
        XCTAssertNotEqual(random.uniform(sequence: 3, step: 7), random.uniform(sequence: 4, step: 7))
        XCTAssertNotEqual(random.uniform(sequence: 3, step: 7), CounterRandom(seed: 43).uniform(sequence: 3, step: 7))
        // Uniforms look uniform: mean near 1/2 over many draws.
        let mean = (0..<10000).map { random.uniform(sequence: 0, step: $0) }.reduce(0, +) / 10000
        XCTAssertEqual(mean, 0.5, accuracy: 0.02)
    }

    func testDrawFollowsTheDistribution() {
        let logits: [Float] = [0, log(3), -.infinity, log(6)]  // probabilities 0.1, 0.3, 0, 0.6
        var counts = [0, 0, 0, 0]
        let random = CounterRandom(seed: 1)
        logits.withUnsafeBufferPointer { l in
            for s in 0..<20000 {
                counts[LogitsProcessing.draw(l, candidates: [0, 1, 3], uniform: random.uniform(sequence: 0, step: s))] += 1
            }
        }
        XCTAssertEqual(counts[2], 0)
        XCTAssertEqual(Double(counts[0]) / 20000, 0.1, accuracy: 0.01)
        XCTAssertEqual(Double(counts[3]) / 20000, 0.6, accuracy: 0.015)
    }
}
