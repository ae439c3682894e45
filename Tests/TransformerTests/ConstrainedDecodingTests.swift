import XCTest
import TestSupport
@testable import Transformer

/// Scoring candidates after a prompt, and generation restricted to a list of unique words.
final class ConstrainedDecodingTests: XCTestCase {
    private func fixtureModel(_ name: String = "gpt_neox") throws -> any CausalLanguageModel {
        try ModelLoader.load(folder: TestPaths.fixtures.appendingPathComponent("lm/\(name)"))
    }

    /// Log-softmax sums read from one full forward pass over prompt + candidate.
    private func directScore(_ model: any CausalLanguageModel, prompt: [Int32], candidate: [Int32]) throws -> Double {
        let all = prompt + candidate
        var batch = ForwardBatch()
        batch.append(slot: 0, newTokens: all, past: 0)
        let out = try model.forward(batch, cache: model.makeCache(capacities: [all.count]), logits: .all, hiddenStates: false)
        let v = model.info.vocabularySize
        var total = 0.0
        for (t, token) in candidate.enumerated() {
            let row = Array(out.logits[((prompt.count - 1 + t) * v)..<((prompt.count + t) * v)]).map(Double.init)
            let m = row.max()!
            total += row[Int(token)] - (m + log(row.reduce(0) { $0 + exp($1 - m) }))
        }
        return total
    }

    func testScoresEqualAFullForwardPassAndDoNotDependOnTheBatch() throws {
        for name in ["gpt_neox", "gpt2", "llama"] {
            let model = try fixtureModel(name)
            let v = Int32(model.info.vocabularySize)
            let prompts: [[Int32]] = [[1, 5, 9, 2, 7], [3], [4, 4, 8, 1, 0, 6, 2, 9, 11]].map { $0.map { $0 % v } }
            let candidates: [[Int32]] = [[5], [7, 2], [9, 1, 3, 8]].map { $0.map { $0 % v } }
            let scores = try ContinuationScorer(model: model, maxTokensPerPass: 4).score(prompts: prompts, continuations: candidates)
            for (i, p) in prompts.enumerated() {
                let alone = try ContinuationScorer(model: model).score(prompts: [p], continuations: candidates)[0]
                for (c, cand) in candidates.enumerated() {
                    let expected = try directScore(model, prompt: p, candidate: cand)
                    XCTAssertEqual(scores[i][c], expected, accuracy: 1e-4 * max(1, abs(expected)), "\(name) prompt \(i) candidate \(c)")
                    XCTAssertEqual(alone[c], scores[i][c], accuracy: 1e-5 * max(1, abs(expected)), "\(name) batch independence")
                }
            }
        }
    }

    func testScorerRejectsBadCandidates() throws {
        let model = try fixtureModel()
        let scorer = ContinuationScorer(model: model)
        XCTAssertThrowsError(try scorer.score(prompts: [[1, 2]], continuations: [[]]))
        XCTAssertThrowsError(try scorer.score(prompts: [[1, 2]], continuations: [[Int32(model.info.vocabularySize)]]))
        XCTAssertThrowsError(try scorer.score(prompts: [[]], continuations: [[1]]))
    }

    /// Splits generated tokens back into words by walking the word list (unambiguous, as the
    /// constraint requires) and checks every word is in the list and none repeats.
    private func parseWords(_ tokens: [Int32], words: [[Int32]], end: Set<Int32>) -> (words: [Int], ended: Bool)? {
        var out: [Int] = []
        var i = 0
        let starts = Set(words.map { $0[0] })
        while i < tokens.count {
            if end.contains(tokens[i]) { return i == tokens.count - 1 ? (out, true) : nil }
            // The longest word matching here whose end is followed by a boundary.
            var matched: Int?
            for (w, ids) in words.enumerated() where tokens.count - i >= ids.count && Array(tokens[i..<(i + ids.count)]) == ids {
                let next = i + ids.count
                let boundary = next == tokens.count || starts.contains(tokens[next]) || end.contains(tokens[next])
                if boundary, matched.map({ words[$0].count < ids.count }) ?? true { matched = w }
            }
            guard let w = matched else { return nil }
            out.append(w)
            i += words[w].count
        }
        return (out, false)
    }

    func testConstrainedGenerationWritesOnlyListedWordsOnce() throws {
        let model = try fixtureModel()
        // Words with shared prefixes, one a prefix of another, multi-token and single-token.
        let words: [[Int32]] = [[10, 3], [10, 3, 4], [10, 5], [11], [12, 6, 6], [13, 7], [14], [15, 3, 9], [16], [17, 8]]
        let eos: Int32 = 2
        let constraint = try UniqueWordConstraint(words: words, endTokens: [eos])
        var sawEnd = false, sawLong = false
        for seed in 0..<20 {
            var options = GenerationOptions(maxNewTokens: 40, sampling: SamplingOptions(sample: true, temperature: 3), seed: UInt64(seed),
                                            stopTokenIDs: [eos], constraint: constraint)
            options.minNewTokens = seed % 2 == 0 ? 0 : 30
            let out = try Generator(model: model).generate(prompts: [[1, 2, 3], [7, 7]], options: options)
            for g in out {
                let parsed = try XCTUnwrap(parseWords(g.tokens, words: words, end: [eos]), "seed \(seed): \(g.tokens) is not a list of words")
                XCTAssertEqual(Set(parsed.words).count, parsed.words.count, "seed \(seed): a word repeats in \(g.tokens)")
                sawEnd = sawEnd || parsed.ended
                sawLong = sawLong || parsed.words.count == words.count
            }
        }
        XCTAssertTrue(sawEnd)
        // With a high minimum length the whole list gets used, then only the end token is left.
        XCTAssertTrue(sawLong)
    }

    func testStateAllowsExactlyTheOpenWords() throws {
        let words: [[Int32]] = [[1, 2], [1, 2, 3], [4]]
        let constraint = try UniqueWordConstraint(words: words, endTokens: [0])
        let state = constraint.makeState()
        func allowed() -> Set<Int> {
            var logits = [Float](repeating: 1, count: 6)
            logits.withUnsafeMutableBufferPointer { state.restrict($0) }
            return Set(logits.indices.filter { logits[$0].isFinite })
        }
        XCTAssertEqual(allowed(), [0, 1, 4])
        state.advance(1)
        XCTAssertEqual(allowed(), [2])
        state.advance(2)  // [1, 2] complete; may end, start a word, or continue to [1, 2, 3]
        XCTAssertEqual(allowed(), [0, 1, 3, 4])
        state.advance(4)  // closes [1, 2], starts and completes [4]
        XCTAssertEqual(allowed(), [0, 1])  // [4] is complete; only [1, 2, 3] remains to start
        state.advance(1)
        state.advance(2)
        XCTAssertEqual(allowed(), [3])  // [1, 2] was used: must go on to [1, 2, 3]
        state.advance(3)
        XCTAssertEqual(allowed(), [0])
    }

    func testEndWaitsForTheMinimumNumberOfWords() throws {
        var constraint = try UniqueWordConstraint(words: [[1], [2], [3]], endTokens: [0])
        constraint.minWords = 2
        let state = constraint.makeState()
        func allowed() -> Set<Int> {
            var logits = [Float](repeating: 1, count: 5)
            logits.withUnsafeMutableBufferPointer { state.restrict($0) }
            return Set(logits.indices.filter { logits[$0].isFinite })
        }
        XCTAssertEqual(allowed(), [1, 2, 3], "no end before any word")
        state.advance(1)
        XCTAssertEqual(allowed(), [2, 3], "one word complete: still no end")
        state.advance(2)
        XCTAssertEqual(allowed(), [0, 3], "two words: the end is allowed")

        // A minimum above the word count ends once every word is used (never a dead end).
        constraint.minWords = 10
        let all = constraint.makeState()
        for t: Int32 in [1, 2, 3] { all.advance(t) }
        var logits = [Float](repeating: 1, count: 5)
        logits.withUnsafeMutableBufferPointer { all.restrict($0) }
        XCTAssertEqual(Set(logits.indices.filter { logits[$0].isFinite }), [0])
    }

    func testAmbiguousOrDuplicateWordListsAreRejected() {
        XCTAssertThrowsError(try UniqueWordConstraint(words: [[1], [1]], endTokens: [0]))
        XCTAssertThrowsError(try UniqueWordConstraint(words: [[1], []], endTokens: [0]))
        // 2 continues [1] into [1, 2] but also starts [2]: the boundary is ambiguous.
        XCTAssertThrowsError(try UniqueWordConstraint(words: [[1], [1, 2], [2]], endTokens: [0]))
    }
}
