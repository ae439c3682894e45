import Foundation

/// The model's log-likelihood of given continuations after given prompts, for choosing an
/// answer among known candidates (constrained classification) instead of generating freely.
///
/// Each prompt is run through the model once; then, for each candidate, the candidate's
/// tokens continue every prompt in one batch, their log-probabilities are read, and the cache
/// is rolled back to the prompt. A candidate costs a pass over its own few tokens, never a
/// second pass over the prompt.
public struct ContinuationScorer: Sendable {
    public let model: any CausalLanguageModel
    /// Prompt tokens per prefill pass (bounds activation memory).
    public var maxTokensPerPass: Int

    public init(model: any CausalLanguageModel, maxTokensPerPass: Int = 8192) {
        self.model = model
        self.maxTokensPerPass = maxTokensPerPass
    }

    /// `result[i][c]` = Σₜ log p(continuation[c][t] | prompt[i], continuation[c][..<t]), natural
    /// log. Results do not depend on which other prompts are in the call.
    public func score(prompts: [[Int32]], continuations: [[Int32]]) throws -> [[Double]] {
        let info = model.info
        guard let longest = continuations.map(\.count).max() else { return prompts.map { _ in [] } }
        for (c, tokens) in continuations.enumerated() {
            guard !tokens.isEmpty else { throw ModelError.input("candidate \(c + 1) has no tokens") }
            for t in tokens where t < 0 || Int(t) >= info.vocabularySize {
                throw ModelError.input("candidate \(c + 1) has token id \(t), outside the vocabulary (size \(info.vocabularySize))")
            }
        }
        for (i, p) in prompts.enumerated() {
            guard !p.isEmpty else { throw ModelError.input("prompt \(i + 1) is empty (no tokens)") }
            guard p.count + longest - 1 <= info.contextLength else {
                throw ModelError.input("prompt \(i + 1) has \(p.count) tokens; with a \(longest)-token candidate it exceeds the model's context of \(info.contextLength)")
            }
        }
        let v = info.vocabularySize
        let cache = model.makeCache(capacities: prompts.map { $0.count + longest - 1 })
        var scores = prompts.map { _ in [Double](repeating: 0, count: continuations.count) }

        // Prefill; the last row of each prompt scores every candidate's first token.
        try Prefill.run(model, prompts, cache: cache, maxTokensPerPass: maxTokensPerPass) { i, r in
            let lse = Self.logSumExp(r)
            for (c, tokens) in continuations.enumerated() { scores[i][c] = Double(r[Int(tokens[0])]) - lse }
        }

        // Each candidate's later tokens, all prompts at once, then back to the prompt.
        for (c, tokens) in continuations.enumerated() where tokens.count > 1 {
            var batch = ForwardBatch()
            for i in prompts.indices { batch.append(slot: i, newTokens: tokens[0..<(tokens.count - 1)], past: prompts[i].count) }
            let out = try model.forward(batch, cache: cache, logits: .all, hiddenStates: false)
            out.logits.withUnsafeBufferPointer { logits in
                for (s, seg) in batch.segments.enumerated() {
                    for t in 0..<seg.count {
                        let row = seg.start + t
                        let r = UnsafeBufferPointer(rebasing: logits[(row * v)..<((row + 1) * v)])
                        scores[s][c] += Double(r[Int(tokens[t + 1])]) - Self.logSumExp(r)
                    }
                }
            }
            for i in prompts.indices { cache.truncate(slot: i, to: prompts[i].count) }
        }
        return scores
    }

    static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Double {
        var m = -Float.infinity
        for x in row where x > m { m = x }
        guard m.isFinite else { return Double(m) }
        var sum = 0.0
        for x in row { sum += Double(expf(x - m)) }
        return Double(m) + log(sum)
    }
}
