import Foundation
import Mechanics

/// How the next token is chosen, in transformers' order and semantics: repetition penalty and
/// the minimum length first (they apply to greedy search too), then, when sampling,
/// temperature, top-k, top-p.
public struct SamplingOptions: Sendable, Equatable {
    /// Greedy search when false: the highest-scoring token, first index on ties (torch.argmax).
    public var sample: Bool
    public var temperature: Float
    /// Keep the k highest logits (0: off). Ties at the k-th value are all kept, as in torch.
    public var topK: Int
    /// Keep the smallest set of highest-probability tokens whose mass reaches p (1: off).
    public var topP: Float
    /// > 1 discourages tokens already in the prompt or the output (CTRL's rule).
    public var repetitionPenalty: Float

    public init(sample: Bool = false, temperature: Float = 1, topK: Int = 0, topP: Float = 1, repetitionPenalty: Float = 1) {
        self.sample = sample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
    }

    public static let greedy = SamplingOptions()

    /// Checks ranges, naming the offending option.
    public func validate() throws {
        guard temperature > 0, temperature.isFinite else { throw ModelError.input("temperature must be a positive number, got \(temperature)") }
        guard topK >= 0 else { throw ModelError.input("top-k must be 0 (off) or positive, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw ModelError.input("top-p must be in (0, 1], got \(topP)") }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else { throw ModelError.input("repetition penalty must be positive, got \(repetitionPenalty)") }
    }
}

/// The logits processors, on one row of logits in place. Removed tokens become -inf.
public enum LogitsProcessing {
    /// CTRL's repetition penalty over the distinct tokens in `history`.
    public static func penalizeRepetition(_ logits: UnsafeMutableBufferPointer<Float>, history: some Sequence<Int32>, penalty: Float, seen: inout Set<Int32>) {
        guard penalty != 1 else { return }
        seen.removeAll(keepingCapacity: true)
        for t in history where seen.insert(t).inserted {
            let i = Int(t)
            guard i >= 0, i < logits.count else { continue }
            let s = logits[i]
            logits[i] = s < 0 ? s * penalty : s / penalty
        }
    }

    /// Forbids the end-of-sequence tokens until `minNewTokens` have been generated.
    public static func enforceMinimumLength(_ logits: UnsafeMutableBufferPointer<Float>, generated: Int, minNewTokens: Int, eos: [Int32]) {
        guard generated < minNewTokens else { return }
        for e in eos where e >= 0 && Int(e) < logits.count { logits[Int(e)] = -.infinity }
    }

    public static func applyTemperature(_ logits: UnsafeMutableBufferPointer<Float>, _ temperature: Float) {
        guard temperature != 1 else { return }
        for i in logits.indices { logits[i] /= temperature }
    }

    /// Keeps the logits at or above the k-th largest; returns the indices kept, sorted by
    /// ascending logit (what top-p needs next).
    public static func topK(_ logits: UnsafeMutableBufferPointer<Float>, _ k: Int) -> [Int] {
        let n = logits.count
        if k <= 0 || k >= n {
            return (0..<n).filter { logits[$0] > -.infinity }.sorted { logits[$0] < logits[$1] }
        }
        // A min-heap of the k largest values finds the threshold in O(n log k).
        var heap = BinaryHeap<Float>()
        heap.reserveCapacity(k)
        for i in 0..<n {
            let v = logits[i]
            if heap.count < k { heap.push(v) } else if v > heap.top! { heap.replaceTop(v) }
        }
        let threshold = heap.top!
        var kept: [Int] = []
        for i in 0..<n {
            if logits[i] < threshold { logits[i] = -.infinity } else if logits[i] > -.infinity { kept.append(i) }
        }
        return kept.sorted { logits[$0] < logits[$1] }
    }

    /// transformers' top-p: sort ascending, remove tokens whose cumulative probability is at
    /// most `1 - p`, always keeping the most likely token. `ascending` holds the finite
    /// indices in ascending order of logit.
    public static func topP(_ logits: UnsafeMutableBufferPointer<Float>, _ p: Float, ascending: [Int]) {
        guard p < 1, !ascending.isEmpty else { return }
        let maxLogit = logits[ascending.last!]
        var total: Float = 0
        for i in ascending { total += expf(logits[i] - maxLogit) }
        var cumulative: Float = 0
        for (rank, i) in ascending.enumerated() {
            cumulative += expf(logits[i] - maxLogit) / total
            if cumulative <= 1 - p && rank < ascending.count - 1 { logits[i] = -.infinity }
        }
    }

    /// Index of the largest logit, first on ties.
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0, bestValue = -Float.infinity
        for i in logits.indices where logits[i] > bestValue { bestValue = logits[i]; best = i }
        return best
    }

    /// Draws from softmax(logits) with the uniform number `u` in [0, 1).
    public static func draw(_ logits: UnsafeBufferPointer<Float>, candidates: [Int], uniform u: Double) -> Int {
        guard let last = candidates.last else { return argmax(logits) }
        let maxLogit = candidates.reduce(-Float.infinity) { max($0, logits[$1]) }
        var total = 0.0
        for i in candidates { total += Double(expf(logits[i] - maxLogit)) }
        var target = u * total
        for i in candidates where logits[i] > -.infinity {
            target -= Double(expf(logits[i] - maxLogit))
            if target < 0 { return i }
        }
        return last
    }
}

/// Counter-based random numbers: the uniform for (seed, sequence, step) is a hash of the three,
/// so a sequence's samples do not depend on thread count, batch composition or order.
public struct CounterRandom: Sendable {
    public let seed: UInt64
    public init(seed: UInt64) { self.seed = seed }

    /// A uniform in [0, 1) for `sequence` at `step`.
    public func uniform(sequence: Int, step: Int) -> Double {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: sequence &+ 1)
        z = SplitMix64.mix(z ^ (UInt64(truncatingIfNeeded: step) &* 0xD1B5_4A32_D192_ED03))
        z = SplitMix64.mix(z &+ 0x8CB9_2BA7_2F3D_8DD7)
        return Double(z >> 11) * 0x1.0p-53
    }
}
