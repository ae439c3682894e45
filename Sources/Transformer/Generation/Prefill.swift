/// Feeding prompts into a KV cache before decoding or scoring, shared by `Generator` and
/// `ContinuationScorer`.
enum Prefill {
    /// Feeds `sequences[i]` into slot `i` of `cache` in passes of at most `maxTokensPerPass`
    /// tokens (bounding activation memory; a prompt longer than a pass is fed in pieces), and
    /// hands each sequence's last-position logits to `finished` once all of it is in.
    static func run(_ model: any CausalLanguageModel, _ sequences: [[Int32]], cache: KVCache, maxTokensPerPass: Int,
                    finished: (_ sequence: Int, _ logits: UnsafeBufferPointer<Float>) -> Void) throws {
        let v = model.info.vocabularySize
        var pending = Array(sequences.indices)
        var fed = [Int](repeating: 0, count: sequences.count)
        while !pending.isEmpty {
            var batch = ForwardBatch()
            var room = max(1, maxTokensPerPass)
            var inPass: [Int] = []
            while let i = pending.first, room > 0 {
                let take = min(room, sequences[i].count - fed[i])
                batch.append(slot: i, newTokens: sequences[i][fed[i]..<(fed[i] + take)], past: fed[i])
                fed[i] += take
                room -= take
                inPass.append(i)
                if fed[i] == sequences[i].count { pending.removeFirst() }
            }
            let out = try model.forward(batch, cache: cache, logits: .lastOfEachSequence, hiddenStates: false)
            out.logits.withUnsafeBufferPointer { logits in
                for (row, i) in inPass.enumerated() where fed[i] == sequences[i].count {
                    finished(i, UnsafeBufferPointer(rebasing: logits[(row * v)..<((row + 1) * v)]))
                }
            }
        }
    }
}
