import CKernels
import Foundation

/// Causal multi-head attention over a KV cache, for a ragged batch. Grouped-query attention
/// (fewer key/value heads than query heads), Gemma-2's logit soft-cap and sliding window are
/// parameters of one kernel.
public struct AttentionShape: Sendable {
    public var queryHeads: Int
    public var keyValueHeads: Int
    public var headDim: Int
    /// Multiplies `q·k` (usually `1/√headDim`).
    public var scale: Float
    /// `tanh(s / cap) · cap` on the scaled scores, when set.
    public var softCap: Float?
    /// A query at position `i` sees keys at `j` with `i - window < j ≤ i`, when set.
    public var window: Int?

    public init(queryHeads: Int, keyValueHeads: Int, headDim: Int, scale: Float, softCap: Float? = nil, window: Int? = nil) {
        self.queryHeads = queryHeads
        self.keyValueHeads = keyValueHeads
        self.headDim = headDim
        self.scale = scale
        self.softCap = softCap
        self.window = window
    }

    /// Width of a fused `[Q | K | V]` projection row.
    public var fusedWidth: Int { (queryHeads + 2 * keyValueHeads) * headDim }
    public var queryWidth: Int { queryHeads * headDim }
    public var keyValueWidth: Int { keyValueHeads * headDim }
}

/// Per-worker score buffers, kept between passes so attention allocates nothing while it runs.
public final class AttentionScratch: @unchecked Sendable {
    private var buffers: [UnsafeMutablePointer<Float>] = []
    private var capacity = 0

    public init() {}
    deinit { for b in buffers { b.deallocate() } }

    func reserve(workers: Int, floats: Int) {
        guard workers > buffers.count || floats > capacity else { return }
        for b in buffers { b.deallocate() }
        capacity = max(floats, capacity)
        buffers = (0..<max(workers, buffers.count)).map { _ in .allocate(capacity: capacity) }
    }

    subscript(worker: Int) -> UnsafeMutablePointer<Float> { buffers[worker] }
}

public enum Attention {
    /// Query rows handled per block: scores for a block cover only the keys its last row may
    /// see, so the causal upper triangle is (mostly) never computed.
    static let queryBlock = 64

    /// Stores the batch's keys and values in `cache` (layer `layer`), then writes each query
    /// head's attention output to `out` (`[tokens, queryHeads·headDim]`). `qkv` rows hold
    /// `[Q | K | V]` with rotary embedding already applied.
    public static func run(
        _ shape: AttentionShape, qkv: UnsafePointer<Float>, batch: ForwardBatch,
        cache: KVCache, layer: Int, scratch: AttentionScratch, into out: UnsafeMutablePointer<Float>
    ) {
        let width = shape.fusedWidth, qw = shape.queryWidth, kvw = shape.keyValueWidth
        var longest = 0
        for seg in batch.segments {
            precondition(seg.past + seg.count <= cache.capacities[seg.slot], "KV cache slot \(seg.slot) overflow")
            let k = cache.keys(layer: layer, slot: seg.slot), v = cache.values(layer: layer, slot: seg.slot)
            for i in 0..<seg.count {
                let row = qkv + (seg.start + i) * width
                (k + (seg.past + i) * kvw).update(from: row + qw, count: kvw)
                (v + (seg.past + i) * kvw).update(from: row + qw + kvw, count: kvw)
            }
            longest = max(longest, seg.past + seg.count)
        }
        let segments = batch.segments
        let items = segments.count * shape.queryHeads
        let workers = max(1, min(KernelThreads.count, items))
        scratch.reserve(workers: workers, floats: queryBlock * longest)
        // Prefill items call BLAS from several of our threads: BLAS must be single-threaded.
        let anyPrefill = segments.contains { $0.count > 1 }
        // Items are dealt round-robin so long and short sequences spread over workers.
        Matmul.singleThreadedBLAS(when: anyPrefill && workers > 1) { KernelThreads.forRanges(workers) { range in
            for w in range {
                var item = w
                while item < items {
                    let seg = segments[item / shape.queryHeads], h = item % shape.queryHeads
                    head(shape, h: h, seg: seg, qkv: qkv, cache: cache, layer: layer, scores: scratch[w], out: out)
                    item += workers
                }
            }
        } }
    }

    private static func head(
        _ shape: AttentionShape, h: Int, seg: ForwardBatch.Segment, qkv: UnsafePointer<Float>,
        cache: KVCache, layer: Int, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        let hd = shape.headDim, width = shape.fusedWidth, kvw = shape.keyValueWidth, qw = shape.queryWidth
        let kvHead = h / (shape.queryHeads / shape.keyValueHeads)
        let keys = UnsafePointer(cache.keys(layer: layer, slot: seg.slot) + kvHead * hd)
        let values = UnsafePointer(cache.values(layer: layer, slot: seg.slot) + kvHead * hd)
        var i0 = 0
        while i0 < seg.count {
            let rows = min(queryBlock, seg.count - i0)
            // Keys this block can see: [first, last].
            let last = seg.past + i0 + rows - 1
            var first = 0
            if let w = shape.window { first = max(0, seg.past + i0 - w + 1) }
            let span = last - first + 1
            let q0 = qkv + (seg.start + i0) * width + h * hd
            if rows == 1 {
                c2s_attention_scores(q0, keys + first * kvw, kvw, span, hd, shape.scale, scores)
            } else {
                Matmul.gemm(transA: false, transB: true, m: rows, n: span, k: hd, alpha: shape.scale,
                            q0, lda: width, keys + first * kvw, ldb: kvw, scores, ldc: span)
            }
            for r in 0..<rows {
                let position = seg.past + i0 + r
                let row = scores + r * span
                var lo = 0
                if let w = shape.window { lo = max(0, position - w + 1 - first) }
                let hi = position - first
                softmax(row + lo, count: hi - lo + 1, softCap: shape.softCap)
                if lo > 0 { row.update(repeating: 0, count: lo) }
                if hi + 1 < span { (row + hi + 1).update(repeating: 0, count: span - hi - 1) }
            }
            let o = out + (seg.start + i0) * qw + h * hd
            if rows == 1 {
                c2s_attention_sum(scores, values + first * kvw, kvw, span, hd, o)
            } else {
                Matmul.gemm(transA: false, transB: false, m: rows, n: hd, k: span,
                            scores, lda: span, values + first * kvw, ldb: kvw, o, ldc: qw)
            }
            i0 += rows
        }
    }

    /// In-place softmax of scaled scores, after the optional `tanh(s/cap)·cap`. Returns the
    /// log-sum-exp of the (capped) scores, which training keeps to rebuild the probabilities
    /// in the backward pass.
    @inline(__always) @discardableResult
    static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int, softCap: Float?) -> Float {
        typealias V = FastMath.V
        var logSumExp: Float = 0
        if softCap == nil, c2s_softmax_row(x, n, &logSumExp) == 0 { return logSumExp }
        var i = 0
        if let cap = softCap {
            while i + 16 <= n {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
                UnsafeMutableRawPointer(x + i).storeBytes(of: FastMath.tanh(v / cap) * cap, as: V.self)
                i += 16
            }
            while i < n { x[i] = tanhf(x[i] / cap) * cap; i += 1 }
        }
        var m = V(repeating: -Float.greatestFiniteMagnitude)
        i = 0
        while i + 16 <= n { m = FastMath.maximum(m, UnsafeRawPointer(x + i).loadUnaligned(as: V.self)); i += 16 }
        var maximum = m.max()
        while i < n { maximum = max(maximum, x[i]); i += 1 }
        var acc = V(repeating: 0)
        let mv = V(repeating: maximum)
        i = 0
        while i + 16 <= n {
            let e = FastMath.exp(UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - mv)
            UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: V.self)
            acc += e
            i += 16
        }
        var sum = acc.sum()
        while i < n { let e = expf(x[i] - maximum); x[i] = e; sum += e; i += 1 }
        let inv = 1 / sum
        i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self) * inv
            UnsafeMutableRawPointer(x + i).storeBytes(of: v, as: V.self)
            i += 16
        }
        while i < n { x[i] *= inv; i += 1 }
        return maximum + logf(sum)
    }
}
