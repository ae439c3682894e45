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
        /// `[vocabulary, width]`, `scale · ∂loss/∂head` is added.
        public var dHead: UnsafeMutablePointer<Float>
        /// Optional weight of each row's loss (`rows` floats), multiplying `scale`.
        public var rowWeights: UnsafePointer<Float>?

        public init(scale: Float, dHidden: UnsafeMutablePointer<Float>, dHead: UnsafeMutablePointer<Float>,
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
    /// total does not depend on chunking or threads).
    public static func loss(
        hidden: UnsafePointer<Float>, rows: Int, width: Int, head: UnsafePointer<Float>, vocabulary: Int,
        targets: UnsafePointer<Int32>, logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
        backward: Backward?
    ) -> Double {
        let chunk = chunkRows(vocabulary: vocabulary, rows: rows)
        var r0 = 0
        while r0 < rows {
            let c = min(chunk, rows - r0)
            let h = hidden + r0 * width
            Matmul.linear(h, head, into: logits, m: c, n: vocabulary, k: width)
            KernelThreads.forRanges(c) { range in
                for r in range {
                    losses[r0 + r] = rowLoss(logits + r * vocabulary, count: vocabulary, target: Int(targets[r0 + r]),
                                             gradientScale: backward.map { b in b.rowWeights.map { b.scale * $0[r0 + r] } ?? b.scale })
                }
            }
            if let b = backward {
                Matmul.gemm(transA: false, transB: false, m: c, n: width, k: vocabulary, logits, lda: vocabulary,
                            head, ldb: width, b.dHidden + r0 * width, ldc: width)
                Matmul.gemm(transA: true, transB: false, m: vocabulary, n: width, k: c, logits, lda: vocabulary,
                            h, ldb: width, beta: 1, b.dHead, ldc: width)
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
}
