import CKernels
import Foundation

/// One sequence of a training batch: rows `start ..< start + count` of the concatenated
/// `[tokens, width]` matrices, at positions `0 ..< count`.
public struct SequenceSpan: Sendable, Equatable {
    public var start: Int
    public var count: Int

    public init(start: Int, count: Int) {
        self.start = start
        self.count = count
    }
}

/// Causal self-attention for training: each sequence attends over its own tokens, read straight
/// from the fused `[Q | K | V]` rows (no cache). The forward pass keeps only the log-sum-exp of
/// each query row's scores; the backward pass rebuilds the probabilities from it with one more
/// `Q·Kᵀ` product, so no `[tokens × tokens]` matrix per head outlives a query block (memory
/// grows with tokens, not with their square).
///
/// Work items are (sequence, key/value head) pairs, dealt round-robin to our workers with BLAS
/// held to one thread meanwhile, as `Attention.run` does for prefill. A key/value head's query
/// heads run in one item, so grouped-query attention's shared key and value gradients are
/// summed without races. Gemma-2's score soft-cap and sliding window are applied as inference
/// applies them (`Attention.run`): a query at position `i` sees keys `i - window < j ≤ i`.
extension Attention {
    /// Writes each query head's output to `out` (`[tokens, queryHeads·headDim]`) and the
    /// log-sum-exp of its scaled scores to `logSumExp` (`[tokens, queryHeads]`).
    public static func trainingForward(
        _ shape: AttentionShape, qkv: UnsafePointer<Float>, sequences: [SequenceSpan],
        scratch: AttentionScratch, into out: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>
    ) {
        let longest = sequences.map(\.count).max() ?? 0
        forItems(shape, sequences: sequences, scratch: scratch, floatsPerWorker: queryBlock * longest) { seq, group, scores in
            for h in group {
                forwardHead(shape, h: h, seq: seq, qkv: qkv, scores: scores, out: out, logSumExp: logSumExp)
            }
        }
    }

    /// Given `dOut` (gradient with respect to `out`), writes the gradient with respect to every
    /// query, key and value column of `qkv` into `dqkv` (same `[tokens, fusedWidth]` layout,
    /// overwritten). `qkv`, `out` and `logSumExp` are what `trainingForward` used and produced.
    public static func trainingBackward(
        _ shape: AttentionShape, qkv: UnsafePointer<Float>, out: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
        logSumExp: UnsafePointer<Float>, sequences: [SequenceSpan], scratch: AttentionScratch,
        into dqkv: UnsafeMutablePointer<Float>
    ) {
        let longest = sequences.map(\.count).max() ?? 0
        let block = queryBlock * longest
        // A soft-capped score's derivative needs its tanh: a third block per worker keeps it.
        let blocks = shape.softCap == nil ? 2 : 3
        forItems(shape, sequences: sequences, scratch: scratch, floatsPerWorker: blocks * block) { seq, group, buffer in
            for (i, h) in group.enumerated() {
                backwardHead(shape, h: h, seq: seq, firstOfGroup: i == 0, qkv: qkv, out: out, dOut: dOut,
                             logSumExp: logSumExp, probabilities: buffer, dScores: buffer + block,
                             capped: shape.softCap == nil ? nil : buffer + 2 * block, dqkv: dqkv)
            }
        }
    }

    /// Runs `body(sequence, query heads of one key/value head, worker scratch)` over all
    /// (sequence, key/value head) items.
    private static func forItems(
        _ shape: AttentionShape, sequences: [SequenceSpan], scratch: AttentionScratch, floatsPerWorker: Int,
        _ body: (SequenceSpan, Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let groups = shape.keyValueHeads, perGroup = shape.queryHeads / shape.keyValueHeads
        let items = sequences.count * groups
        guard items > 0 else { return }
        let workers = max(1, min(KernelThreads.count, items))
        scratch.reserve(workers: workers, floats: max(1, floatsPerWorker))
        // Each item calls BLAS from one of our threads: BLAS must be single-threaded meanwhile.
        Matmul.singleThreadedBLAS(when: workers > 1) { KernelThreads.forRanges(workers) { range in
            for w in range {
                var item = w
                while item < items {
                    let g = item % groups
                    body(sequences[item / groups], (g * perGroup)..<((g + 1) * perGroup), scratch[w])
                    item += workers
                }
            }
        } }
    }

    private static func forwardHead(
        _ shape: AttentionShape, h: Int, seq: SequenceSpan, qkv: UnsafePointer<Float>,
        scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>
    ) {
        let hd = shape.headDim, width = shape.fusedWidth, qw = shape.queryWidth
        let kvHead = h / (shape.queryHeads / shape.keyValueHeads)
        let keys = qkv + seq.start * width + qw + kvHead * hd
        let values = keys + shape.keyValueWidth
        var i0 = 0
        while i0 < seq.count {
            let rows = min(queryBlock, seq.count - i0), span = i0 + rows
            Matmul.gemm(transA: false, transB: true, m: rows, n: span, k: hd, alpha: shape.scale,
                        qkv + (seq.start + i0) * width + h * hd, lda: width, keys, ldb: width, scores, ldc: span)
            for r in 0..<rows {
                let row = scores + r * span, visible = i0 + r + 1, lo = firstVisible(shape, position: i0 + r)
                logSumExp[(seq.start + i0 + r) * shape.queryHeads + h] = softmax(row + lo, count: visible - lo, softCap: shape.softCap)
                if lo > 0 { row.update(repeating: 0, count: lo) }
                if visible < span { (row + visible).update(repeating: 0, count: span - visible) }
            }
            Matmul.gemm(transA: false, transB: false, m: rows, n: hd, k: span,
                        scores, lda: span, values, ldb: width, out + (seq.start + i0) * qw + h * hd, ldc: qw)
            i0 += rows
        }
    }

    /// The first key a query at `position` sees (0 without a sliding window).
    @inline(__always)
    private static func firstVisible(_ shape: AttentionShape, position: Int) -> Int {
        shape.window.map { max(0, position - $0 + 1) } ?? 0
    }

    /// One query head of one sequence, query blocks last to first: the last block sees every
    /// key, so it sets the key and value gradients (`beta` 0 for a group's first head) and
    /// the earlier, shorter blocks add to them.
    private static func backwardHead(
        _ shape: AttentionShape, h: Int, seq: SequenceSpan, firstOfGroup: Bool,
        qkv: UnsafePointer<Float>, out: UnsafePointer<Float>, dOut: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
        probabilities p: UnsafeMutablePointer<Float>, dScores ds: UnsafeMutablePointer<Float>,
        capped: UnsafeMutablePointer<Float>?, dqkv: UnsafeMutablePointer<Float>
    ) {
        typealias V = FastMath.V
        let hd = shape.headDim, width = shape.fusedWidth, qw = shape.queryWidth, kvw = shape.keyValueWidth
        let kvHead = h / (shape.queryHeads / shape.keyValueHeads)
        let keys = qkv + seq.start * width + qw + kvHead * hd, values = keys + kvw
        let dKeys = dqkv + seq.start * width + qw + kvHead * hd, dValues = dKeys + kvw
        let blocks = (seq.count + queryBlock - 1) / queryBlock
        var first = firstOfGroup
        for b in stride(from: blocks - 1, through: 0, by: -1) {
            let i0 = b * queryBlock, rows = min(queryBlock, seq.count - i0), span = i0 + rows
            let q = qkv + (seq.start + i0) * width + h * hd
            let dO = dOut + (seq.start + i0) * qw + h * hd, o = out + (seq.start + i0) * qw + h * hd
            // Probabilities again, from the saved log-sum-exp; masked keys get 0.
            Matmul.gemm(transA: false, transB: true, m: rows, n: span, k: hd, alpha: shape.scale,
                        q, lda: width, keys, ldb: width, p, ldc: span)
            for r in 0..<rows {
                let row = p + r * span, visible = i0 + r + 1, lo = firstVisible(shape, position: i0 + r)
                let lse = V(repeating: logSumExp[(seq.start + i0 + r) * shape.queryHeads + h])
                if let cap = shape.softCap, let t = capped.map({ $0 + r * span }) {
                    // s → cap·tanh(s/cap), keeping tanh for the derivative 1 − tanh².
                    for j in lo..<visible {
                        t[j] = tanhf(row[j] / cap)
                        row[j] = cap * t[j]
                    }
                }
                if lo > 0 { row.update(repeating: 0, count: lo) }
                var j = lo
                if c2s_exp_shifted(row + lo, visible - lo, lse[0]) == 0 { j = visible }
                while j + 16 <= visible {
                    let s = UnsafeRawPointer(row + j).loadUnaligned(as: V.self)
                    UnsafeMutableRawPointer(row + j).storeBytes(of: FastMath.exp(s - lse), as: V.self)
                    j += 16
                }
                while j < visible { row[j] = expf(row[j] - lse[0]); j += 1 }
                if visible < span { (row + visible).update(repeating: 0, count: span - visible) }
            }
            let beta: Float = first ? 0 : 1
            // dV (+)= Pᵀ·dO (masked keys have P = 0, so every key row is set or added)
            Matmul.gemm(transA: true, transB: false, m: span, n: hd, k: rows, p, lda: span, dO, ldb: qw,
                        beta: beta, dValues, ldc: width)
            // dP = dO·Vᵀ, then dS = scale · P ∘ (dP − rowsum(dO ∘ O))
            Matmul.gemm(transA: false, transB: true, m: rows, n: span, k: hd, dO, lda: qw, values, ldb: width, ds, ldc: span)
            for r in 0..<rows {
                let d = Vector.dot(dO + r * qw, o + r * qw, hd)
                let pr = p + r * span, dr = ds + r * span, visible = i0 + r + 1, lo = firstVisible(shape, position: i0 + r)
                let dv = V(repeating: d), scale = V(repeating: shape.scale)
                var j = lo
                if c2s_softmax_gradient(dr + lo, pr + lo, visible - lo, d, shape.scale) == 0 { j = visible }
                while j + 16 <= visible {
                    let pv = UnsafeRawPointer(pr + j).loadUnaligned(as: V.self)
                    let g = UnsafeRawPointer(dr + j).loadUnaligned(as: V.self)
                    UnsafeMutableRawPointer(dr + j).storeBytes(of: scale * pv * (g - dv), as: V.self)
                    j += 16
                }
                while j < visible { dr[j] = shape.scale * pr[j] * (dr[j] - d); j += 1 }
                if let t = capped.map({ $0 + r * span }) {
                    for j in lo..<visible { dr[j] *= 1 - t[j] * t[j] }
                }
                if lo > 0 { dr.update(repeating: 0, count: lo) }
                if visible < span { (dr + visible).update(repeating: 0, count: span - visible) }
            }
            // dQ = dS·K ; dK (+)= dSᵀ·Q
            Matmul.gemm(transA: false, transB: false, m: rows, n: hd, k: span, ds, lda: span, keys, ldb: width,
                        dqkv + (seq.start + i0) * width + h * hd, ldc: width)
            Matmul.gemm(transA: true, transB: false, m: span, n: hd, k: rows, ds, lda: span, q, ldb: width,
                        beta: beta, dKeys, ldc: width)
            first = false
        }
    }
}
