import Foundation

extension ContinuationScorer {
    /// Floats of logits one pass may hold by default (64M, 256 MB): bounds memory when every
    /// position of a batch needs logits and the vocabulary is large.
    public static let defaultMaxLogitFloats = 1 << 26

    /// `result[i]` = Σₜ log p(continuations[i][t] | prompts[i], continuations[i][..<t]), natural
    /// log: each prompt with its **own** continuation (the label-swap test scores one cell
    /// sentence after many different prompts, so nothing is shared between sequences).
    ///
    /// Sequences go through the model in groups: a group's prompts in one pass (logits of each
    /// last row only: they score the first continuation tokens), then the continuations minus
    /// their last token in a second pass on the same cache (logits of every row). A group
    /// holds at most `maxTokensPerPass` tokens and `maxLogitFloats` floats of logits (always
    /// at least one sequence). Results do not depend on the grouping.
    public func score(prompts: [[Int32]], pairedContinuations continuations: [[Int32]],
                      maxLogitFloats: Int = ContinuationScorer.defaultMaxLogitFloats) throws -> [Double] {
        guard prompts.count == continuations.count else {
            throw ModelError.input("\(prompts.count) prompts but \(continuations.count) continuations; each prompt needs its own")
        }
        let info = model.info
        let v = info.vocabularySize
        for i in prompts.indices {
            guard !prompts[i].isEmpty else { throw ModelError.input("prompt \(i + 1) is empty (no tokens)") }
            guard !continuations[i].isEmpty else { throw ModelError.input("continuation \(i + 1) has no tokens") }
            for t in continuations[i] where t < 0 || Int(t) >= v {
                throw ModelError.input("continuation \(i + 1) has token id \(t), outside the vocabulary (size \(v))")
            }
            let length = prompts[i].count + continuations[i].count - 1
            guard length <= info.contextLength else {
                throw ModelError.input("prompt \(i + 1) (\(prompts[i].count) tokens) with its \(continuations[i].count)-token continuation exceeds the model's context of \(info.contextLength)")
            }
        }
        var scores = [Double](repeating: 0, count: prompts.count)
        let rowBudget = max(1, maxLogitFloats / max(1, v))
        var start = 0
        while start < prompts.count {
            // Whole sequences until either budget would be exceeded.
            var end = start, tokens = 0, rows = 0
            while end < prompts.count {
                let t = prompts[end].count + continuations[end].count - 1, r = continuations[end].count - 1
                if end > start && (tokens + t > maxTokensPerPass || rows + r > rowBudget) { break }
                tokens += t
                rows += r
                end += 1
            }
            try scoreGroup(start..<end, prompts: prompts, continuations: continuations, into: &scores)
            start = end
        }
        return scores
    }

    private func scoreGroup(_ group: Range<Int>, prompts: [[Int32]], continuations: [[Int32]], into scores: inout [Double]) throws {
        let v = model.info.vocabularySize
        let cache = model.makeCache(capacities: group.map { prompts[$0].count + continuations[$0].count - 1 })
        var first = ForwardBatch()
        for (slot, i) in group.enumerated() { first.append(slot: slot, newTokens: prompts[i], past: 0) }
        let head = try model.forward(first, cache: cache, logits: .lastOfEachSequence, hiddenStates: false)
        head.logits.withUnsafeBufferPointer { logits in
            for (row, i) in group.enumerated() {
                let r = UnsafeBufferPointer(rebasing: logits[(row * v)..<((row + 1) * v)])
                scores[i] = Double(r[Int(continuations[i][0])]) - Self.logSumExp(r)
            }
        }
        var rest = ForwardBatch()
        var owners: [Int] = []
        for (slot, i) in group.enumerated() where continuations[i].count > 1 {
            rest.append(slot: slot, newTokens: continuations[i].dropLast(), past: prompts[i].count)
            owners.append(i)
        }
        guard !owners.isEmpty else { return }
        let out = try model.forward(rest, cache: cache, logits: .all, hiddenStates: false)
        // One term per row, computed in parallel (the log-sum-exp over the vocabulary is the
        // bulk of the work for small models), then summed per sequence in a fixed order.
        var terms = [Double](repeating: 0, count: rest.tokenCount)
        var target = [Int32](repeating: 0, count: rest.tokenCount)
        for (s, seg) in rest.segments.enumerated() {
            let c = continuations[owners[s]]
            for t in 0..<seg.count { target[seg.start + t] = c[t + 1] }
        }
        out.logits.withUnsafeBufferPointer { logits in
            terms.withUnsafeMutableBufferPointer { terms in
                let termPointer = terms.baseAddress!
                KernelThreads.forRanges(target.count, grain: 16) { range in
                    for row in range {
                        let r = UnsafeBufferPointer(rebasing: logits[(row * v)..<((row + 1) * v)])
                        termPointer[row] = Double(r[Int(target[row])]) - Self.logSumExp(r)
                    }
                }
            }
        }
        for (s, seg) in rest.segments.enumerated() {
            for row in seg.start..<(seg.start + seg.count) { scores[owners[s]] += terms[row] }
        }
    }
}
