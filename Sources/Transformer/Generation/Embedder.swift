import Foundation

/// How a sequence's final hidden states become one vector.
public enum Pooling: String, Sendable, CaseIterable {
    /// Mean over the sequence's real tokens (there is no padding in a ragged batch).
    case mean
    /// The last token's state.
    case lastToken = "last-token"
}

/// Sequence embeddings from a model's final hidden states (after the final norm, as
/// transformers' `output_hidden_states[-1]`). Each sequence's vector depends only on its own
/// tokens, never on what else is in the batch.
public struct Embedder: Sendable {
    public let model: any CausalLanguageModel

    public init(model: any CausalLanguageModel) { self.model = model }

    /// One `hiddenSize` vector per sequence, computed in passes of at most `maxTokensPerPass`
    /// tokens (a longer sequence gets a pass of its own).
    public func embed(_ sequences: [[Int32]], pooling: Pooling, maxTokensPerPass: Int = 8192) throws -> [[Float]] {
        let info = model.info, d = info.hiddenSize
        for (i, s) in sequences.enumerated() {
            guard !s.isEmpty else { throw ModelError.input("sequence \(i + 1) is empty (no tokens)") }
            guard s.count <= info.contextLength else {
                throw ModelError.input("sequence \(i + 1) has \(s.count) tokens; the model's context holds \(info.contextLength)")
            }
        }
        var result = [[Float]](repeating: [], count: sequences.count)
        var next = 0
        while next < sequences.count {
            var members: [Int] = []
            var tokens = 0
            while next < sequences.count, members.isEmpty || tokens + sequences[next].count <= maxTokensPerPass {
                members.append(next)
                tokens += sequences[next].count
                next += 1
            }
            let cache = model.makeCache(capacities: members.map { sequences[$0].count })
            var batch = ForwardBatch()
            for (slot, i) in members.enumerated() { batch.append(slot: slot, newTokens: sequences[i], past: 0) }
            let out = try model.forward(batch, cache: cache, logits: .none, hiddenStates: true)
            let hidden = out.hiddenStates!
            for (slot, i) in members.enumerated() {
                let seg = batch.segments[slot]
                switch pooling {
                case .lastToken:
                    let r = seg.start + seg.count - 1
                    result[i] = Array(hidden[(r * d)..<((r + 1) * d)])
                case .mean:
                    var sum = [Double](repeating: 0, count: d)
                    for r in seg.start..<(seg.start + seg.count) {
                        for j in 0..<d { sum[j] += Double(hidden[r * d + j]) }
                    }
                    result[i] = sum.map { Float($0 / Double(seg.count)) }
                }
            }
        }
        return result
    }
}
