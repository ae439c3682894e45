import Foundation

/// What the rest of the engine needs to know about a loaded model.
public struct ModelInfo: Sendable {
    public var modelType: String
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layers: Int
    /// Floats per token per layer in each of the key and value caches.
    public var keyValueWidth: Int
    /// The longest sequence the model accepts (learned positions or `max_position_embeddings`).
    public var contextLength: Int
    public var bosTokenIDs: [Int32]
    public var eosTokenIDs: [Int32]
    public var padTokenID: Int32?
}

/// Which positions get logits: computing them only where they are needed (the last position
/// of each sequence while generating) saves a `[tokens, vocabulary]` product.
public enum LogitRows: Sendable {
    case none
    case lastOfEachSequence
    case all
}

/// Results of one forward pass.
public struct ForwardResult: Sendable {
    /// `[rows, vocabulary]`, rows as `LogitRows` asked (all rows follow the batch's order).
    public var logits: [Float]
    public var logitRows: Int
    /// `[tokens, hidden]` final hidden states (after the final norm) when asked for.
    public var hiddenStates: [Float]?
}

/// A causal language model ready for inference. One forward pass runs at a time per model
/// (the activation workspace is shared); the kernels inside use all cores.
public protocol CausalLanguageModel: AnyObject, Sendable {
    var info: ModelInfo { get }
    var parameters: ParameterStore { get }
    /// Runs the batch's new tokens through the model, appending their keys and values to
    /// `cache`.
    func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult
}

extension CausalLanguageModel {
    /// A cache for sequences of up to `capacities[i]` tokens.
    public func makeCache(capacities: [Int]) -> KVCache {
        KVCache(layers: info.layers, kvWidth: info.keyValueWidth, capacities: capacities)
    }
}

/// Activation buffers sized for the largest batch seen so far, reused across passes.
final class Workspace {
    private var buffers: [UnsafeMutablePointer<Float>] = []
    private var widths: [Int]
    private(set) var capacity = 0

    /// One buffer per width; each holds `tokens × width` floats.
    init(widths: [Int]) { self.widths = widths }

    deinit { for b in buffers { b.deallocate() } }

    func reserve(tokens: Int) {
        guard tokens > capacity else { return }
        for b in buffers { b.deallocate() }
        buffers = widths.map { UnsafeMutablePointer<Float>.allocate(capacity: max(1, tokens * $0)) }
        capacity = tokens
    }

    subscript(i: Int) -> UnsafeMutablePointer<Float> { buffers[i] }
}

/// The parts every decoder shares: token checks, the output head, row selection.
enum DecoderOutput {
    static func check(_ batch: ForwardBatch, cache: KVCache, info: ModelInfo) throws {
        for t in batch.tokens where t < 0 || Int(t) >= info.vocabularySize {
            throw ModelError.input("token id \(t) is outside the vocabulary (size \(info.vocabularySize))")
        }
        for seg in batch.segments {
            guard seg.slot >= 0, seg.slot < cache.capacities.count else {
                throw ModelError.input("cache slot \(seg.slot) does not exist")
            }
            guard seg.past == cache.lengths[seg.slot] else {
                throw ModelError.input("sequence in slot \(seg.slot) continues at \(seg.past) but the cache holds \(cache.lengths[seg.slot]) tokens")
            }
            let end = seg.past + seg.count
            guard end <= info.contextLength else {
                throw ModelError.input("a sequence of \(end) tokens is longer than the model's context of \(info.contextLength) tokens")
            }
            guard end <= cache.capacities[seg.slot] else {
                throw ModelError.input("a sequence of \(end) tokens does not fit its cache slot of \(cache.capacities[seg.slot])")
            }
        }
    }

    static func commit(_ batch: ForwardBatch, cache: KVCache) {
        for seg in batch.segments { cache.lengths[seg.slot] = seg.past + seg.count }
    }

    /// Applies the final norm (through `norm`, writing rows of `x` to `scratch`) and the
    /// output head (`head`, in the precision the model keeps it) to the requested rows.
    static func finish(
        _ batch: ForwardBatch, x: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        hidden: Int, vocabulary: Int, head: WeightMatrix, logitRows: LogitRows,
        wantHidden: Bool, softCap: Float? = nil,
        norm: (_ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>, _ rows: Int) -> Void
    ) -> ForwardResult {
        let tokens = batch.tokenCount
        var hiddenStates: [Float]? = nil
        let rows: [Int]
        switch logitRows {
        case .none: rows = []
        case .lastOfEachSequence: rows = batch.lastRows
        case .all: rows = Array(0..<tokens)
        }
        if wantHidden || logitRows == .all {
            norm(x, scratch, tokens)
            if wantHidden { hiddenStates = Array(UnsafeBufferPointer(start: scratch, count: tokens * hidden)) }
            if logitRows != .all {
                for (i, r) in rows.enumerated() { (x + i * hidden).update(from: scratch + r * hidden, count: hidden) }
            } else {
                x.update(from: scratch, count: tokens * hidden)
            }
        } else if !rows.isEmpty {
            for (i, r) in rows.enumerated() { (scratch + i * hidden).update(from: x + r * hidden, count: hidden) }
            norm(scratch, x, rows.count)
        }
        var logits = [Float](repeating: 0, count: rows.count * vocabulary)
        if !rows.isEmpty {
            logits.withUnsafeMutableBufferPointer { out in
                head.linear(x, into: out.baseAddress!, m: rows.count, n: vocabulary, k: hidden)
                if let cap = softCap {
                    let p = out.baseAddress!
                    KernelThreads.forRanges(out.count, grain: 1 << 14) { range in
                        for i in range { p[i] = tanhf(p[i] / cap) * cap }
                    }
                }
            }
        }
        return ForwardResult(logits: logits, logitRows: rows.count, hiddenStates: hiddenStates)
    }
}
