import XCTest
import TestSupport
@testable import Transformer

/// A prefill that asks only for each sequence's last logits runs the last block past its
/// attention over those rows alone (`PreNormDecoder.infer`). It must give what the full pass
/// gives at those rows, leave the same keys and values, and so decode the same next step.
final class LastBlockRowsTests: XCTestCase {
    /// Three sequences, one already holding tokens and one of a single new token, so that kept
    /// rows sit at the batch's start, middle and end.
    private func batch(_ v: Int32, pasts: [Int]) -> ForwardBatch {
        var b = ForwardBatch()
        let new: [[Int32]] = [[1, 5, 9, 2, 7], [3], [4, 4, 8, 1, 0, 6, 2, 9, 11]]
        for (slot, tokens) in new.enumerated() { b.append(slot: slot, newTokens: tokens.map { $0 % v }, past: pasts[slot]) }
        return b
    }

    func testLastLogitsEqualTheFullPassAndTheCacheIsTheSame() throws {
        for name in ["gpt2", "gpt_neox", "gpt_neox_sequential", "llama", "gemma2"] {
            for folder in ["lm/\(name)", "bf16/\(name)"] {
                let url = TestPaths.fixtures.appendingPathComponent(folder)
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                let model = try ModelLoader.load(folder: url)
                let v = Int32(model.info.vocabularySize), vocabulary = model.info.vocabularySize
                let capacities = [20, 20, 20]
                // Slot 0 first holds 3 tokens, so its new rows attend to a past.
                var past = ForwardBatch()
                past.append(slot: 0, newTokens: [2, 6, 1].map { $0 % v }, past: 0)
                var caches: [KVCache] = []
                var last: [ForwardResult] = []
                for rows in [LogitRows.all, .lastOfEachSequence] {
                    let cache = model.makeCache(capacities: capacities)
                    _ = try model.forward(past, cache: cache, logits: .none, hiddenStates: false)
                    let b = batch(v, pasts: [3, 0, 0])
                    let out = try model.forward(b, cache: cache, logits: rows, hiddenStates: false)
                    if rows == .all {
                        var picked: [Float] = []
                        for r in b.lastRows { picked += out.logits[(r * vocabulary)..<((r + 1) * vocabulary)] }
                        last.append(ForwardResult(logits: picked, logitRows: b.lastRows.count, hiddenStates: nil))
                    } else {
                        XCTAssertEqual(out.logitRows, 3)
                        last.append(out)
                    }
                    caches.append(cache)
                }
                let scale = last[0].logits.map { abs($0) }.max() ?? 1
                let worst = zip(last[0].logits, last[1].logits).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-5 * max(1, scale), "\(folder): last logits of the full pass and of the kept rows")
                // The same keys and values: one more token per sequence decodes alike.
                var step = ForwardBatch()
                for (slot, p) in [8, 1, 9].enumerated() { step.append(slot: slot, newTokens: [Int32(7 + slot) % v], past: p) }
                let next = try caches.map { try model.forward(step, cache: $0, logits: .lastOfEachSequence, hiddenStates: false).logits }
                XCTAssertEqual(next[0], next[1], "\(folder): the next step after either prefill")
            }
        }
    }
}
