import Foundation

/// Token cross-entropy of a linear output head, fused with its backward pass and computed a
/// chunk of rows at a time, so the `[tokens × vocabulary]` logits (400 MB for 2,048 tokens of
/// a 50k vocabulary) never exist at once: a chunk's logits are computed, turned into
/// probabilities and then into their own gradient in place, and consumed by the two gradient
/// products before the next chunk reuses the buffer.
public enum CrossEntropy {
    /// Logit floats computed at once (128 MiB): rows per chunk = this / vocabulary, at least 1.
    /// Each chunk reads the head twice and reads and writes its gradient once, so fewer,
    /// larger chunks save memory traffic (2,047 rows of a 50k vocabulary: 4 chunks of 512
    /// rows, 100 MiB, where the full logits with their gradient would take 800 MiB).
    nonisolated(unsafe) public static var chunkFloats = 1 << 25

    /// What the backward part needs.
    public struct Backward {
        /// Multiplies the gradient (e.g. 1 / target tokens of the optimizer step).
        public var scale: Float
        /// `[rows, width]`, overwritten with `scale · ∂loss/∂hidden`.
        public var dHidden: UnsafeMutablePointer<Float>
        /// `[vocabulary, width]`, `scale · ∂loss/∂head` is added (nil: the head is frozen).
        public var dHead: UnsafeMutablePointer<Float>?
        /// Optional weight of each row's loss (`rows` floats), multiplying `scale`.
        public var rowWeights: UnsafePointer<Float>?

        public init(scale: Float, dHidden: UnsafeMutablePointer<Float>, dHead: UnsafeMutablePointer<Float>?,
                    rowWeights: UnsafePointer<Float>? = nil) {
            self.rowWeights = rowWeights
            self.scale = scale
            self.dHidden = dHidden
            self.dHead = dHead
        }
    }

    /// Rows per chunk for a vocabulary, within `rows`: at most `chunkFloats / vocabulary`, and
    /// as even as the chunk count allows (2,047 rows in chunks of at most 666 are four chunks
    /// of 512, not three of 666 and one of 49).
    public static func chunkRows(vocabulary: Int, rows: Int) -> Int {
        let most = max(1, chunkFloats / max(1, vocabulary))
        let chunks = max(1, (rows + most - 1) / most)
        return max(1, (rows + chunks - 1) / chunks)
    }

    /// Sum over rows of `logsumexp(logits) − logits[target]`, where `logits = hidden · headᵀ`
    /// (`hidden` `[rows, width]`, `head` `[vocabulary, width]`, every target in the
    /// vocabulary). `logits` holds `chunkRows(vocabulary:rows:) × vocabulary` floats and
    /// `losses` `rows` floats (each row's loss, summed in order in Double at the end, so the
    /// total does not depend on chunking or threads). With `softCap` (Gemma-2's final logit
    /// soft-cap) the loss reads `cap · tanh(logits / cap)`.
    public static func loss(
        hidden: UnsafePointer<Float>, rows: Int, width: Int, head: UnsafePointer<Float>, vocabulary: Int,
        targets: UnsafePointer<Int32>, logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
        softCap: Float? = nil, backward: Backward?
    ) -> Double {
        loss(hidden: hidden, rows: rows, width: width, headMatrix: UnsafeMutablePointer(mutating: head), vocabulary: vocabulary,
             targets: targets, logits: logits, losses: losses, softCap: softCap, backward: backward)
    }

    /// `loss` over a head in any training precision (a frozen bf16 head under LoRA); `dHead`
    /// needs an fp32 head.
    static func loss<Head: TrainingMatrix>(
        hidden: UnsafePointer<Float>, rows: Int, width: Int, headMatrix head: Head, vocabulary: Int,
        targets: UnsafePointer<Int32>, logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
        softCap: Float? = nil, backward: Backward?
    ) -> Double {
        let chunk = chunkRows(vocabulary: vocabulary, rows: rows)
        var r0 = 0
        while r0 < rows {
            let c = min(chunk, rows - r0)
            let h = hidden + r0 * width
            head.trainingProduct(h, into: logits, m: c, n: vocabulary, k: width, accumulate: false)
            KernelThreads.forRanges(c) { range in
                for r in range {
                    let scale = backward.map { b in b.rowWeights.map { b.scale * $0[r0 + r] } ?? b.scale }
                    let row = logits + r * vocabulary, target = Int(targets[r0 + r])
                    losses[r0 + r] = softCap.map { rowLossCapped(row, count: vocabulary, target: target, cap: $0, gradientScale: scale) }
                        ?? rowLoss(row, count: vocabulary, target: target, gradientScale: scale)
                }
            }
            if let b = backward {
                head.inputGradient(logits, into: b.dHidden + r0 * width, m: c, n: vocabulary, k: width, accumulate: false)
                if let dHead = b.dHead {
                    precondition(head.trainableValues != nil, "a head gradient needs fp32 head weights")
                    Matmul.gemm(transA: true, transB: false, m: vocabulary, n: width, k: c, logits, lda: vocabulary,
                                h, ldb: width, beta: 1, dHead, ldc: width)
                }
            }
            r0 += c
        }
        var total = 0.0
        for r in 0..<rows { total += Double(losses[r]) }
        return total
    }

    /// One row's loss; with `gradientScale`, the row becomes `scale · (softmax − onehot)`.
    @inline(__always)
    private static func rowLoss(_ x: UnsafeMutablePointer<Float>, count n: Int, target: Int, gradientScale: Float?) -> Float {
        typealias V = FastMath.V
        let targetLogit = x[target]
        var m = V(repeating: -Float.greatestFiniteMagnitude)
        var i = 0
        while i + 16 <= n { m = FastMath.maximum(m, UnsafeRawPointer(x + i).loadUnaligned(as: V.self)); i += 16 }
        var maximum = m.max()
        while i < n { maximum = max(maximum, x[i]); i += 1 }
        let mv = V(repeating: maximum)
        var acc = V(repeating: 0)
        i = 0
        if gradientScale != nil {
            while i + 16 <= n {
                let e = FastMath.exp(UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - mv)
                UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: V.self)
                acc += e
                i += 16
            }
        } else {
            while i + 16 <= n { acc += FastMath.exp(UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - mv); i += 16 }
        }
        var sum = acc.sum()
        while i < n {
            let e = expf(x[i] - maximum)
            if gradientScale != nil { x[i] = e }
            sum += e
            i += 1
        }
        let loss = maximum + logf(sum) - targetLogit
        if let scale = gradientScale {
            let factor = scale / sum
            let fv = V(repeating: factor)
            i = 0
            while i + 16 <= n {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self) * fv
                UnsafeMutableRawPointer(x + i).storeBytes(of: v, as: V.self)
                i += 16
            }
            while i < n { x[i] *= factor; i += 1 }
            x[target] -= scale
        }
        return loss
    }

    /// One row's loss on soft-capped logits `c = cap · tanh(z / cap)`. The row first holds
    /// `tanh(z / cap)`; with `gradientScale` it becomes the gradient with respect to `z`,
    /// `scale · (softmax(c) − onehot) · (1 − tanh²)`. Capped logits lie in `[−cap, cap]`, so
    /// `exp(c − max)` never underflows to a zero that the derivative would need.
    private static func rowLossCapped(_ x: UnsafeMutablePointer<Float>, count n: Int, target: Int, cap: Float,
                                      gradientScale: Float?) -> Float {
        typealias V = FastMath.V
        let capV = V(repeating: cap)
        var m = V(repeating: -Float.greatestFiniteMagnitude)
        var i = 0
        while i + 16 <= n {
            let t = FastMath.tanh(UnsafeRawPointer(x + i).loadUnaligned(as: V.self) / capV)
            UnsafeMutableRawPointer(x + i).storeBytes(of: t, as: V.self)
            m = FastMath.maximum(m, t)
            i += 16
        }
        var maximum = m.max()
        while i < n { x[i] = tanhf(x[i] / cap); maximum = max(maximum, x[i]); i += 1 }
        maximum *= cap
        let mv = V(repeating: maximum)
        var acc = V(repeating: 0)
        i = 0
        while i + 16 <= n { acc += FastMath.exp(capV * UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - mv); i += 16 }
        var sum = acc.sum()
        while i < n { sum += expf(cap * x[i] - maximum); i += 1 }
        let loss = maximum + logf(sum) - cap * x[target]
        if let scale = gradientScale {
            let tTarget = x[target]
            let factor = scale / sum, fv = V(repeating: factor)
            i = 0
            while i + 16 <= n {
                let t = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
                let g = FastMath.exp(capV * t - mv) * fv * (1 - t * t)
                UnsafeMutableRawPointer(x + i).storeBytes(of: g, as: V.self)
                i += 16
            }
            while i < n { let t = x[i]; x[i] = expf(cap * t - maximum) * factor * (1 - t * t); i += 1 }
            x[target] -= scale * (1 - tTarget * tTarget)
        }
        return loss
    }
}
