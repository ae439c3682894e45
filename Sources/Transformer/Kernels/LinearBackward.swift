extension Matmul {
    /// Gradients of `y[m, n] = x[m, k] · W[n, k]ᵀ + b` (the engine's `nn.Linear` layout), given
    /// `dy[m, n]`:
    ///
    ///     dInput  (+)= dy · W          [m, k]; `accumulateInput` adds instead of overwriting
    ///     dWeight  += dyᵀ · x          [n, k]
    ///     dBias    += Σ_rows dy        [n]
    ///
    /// Both products go through `cblas_sgemm` with BLAS's own threads; the bias sums are ours,
    /// after BLAS returns (never both at once).
    public static func linearBackward(
        _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
        m: Int, n: Int, k: Int,
        dInput: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
        dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?
    ) {
        guard m > 0 else { return }
        // A frozen weight (LoRA's base) has no gradient: its product is skipped.
        if let dWeight { gemm(transA: true, transB: false, m: n, n: k, k: m, dy, lda: n, x, ldb: k, beta: 1, dWeight, ldc: k) }
        if let dInput {
            gemm(transA: false, transB: false, m: m, n: k, k: n, dy, lda: n, w, ldb: k,
                 beta: accumulateInput ? 1 : 0, dInput, ldc: k)
        }
        if let dBias { Vector.addColumnSums(dy, rows: m, width: n, into: dBias) }
    }
}

extension Vector {
    /// `sums[c] += Σ_r x[r, c]` over a `[rows, width]` matrix (bias gradients). Work is split
    /// by column blocks and each column sums its rows in order, so the result does not depend
    /// on the thread count.
    public static func addColumnSums(_ x: UnsafePointer<Float>, rows: Int, width: Int, into sums: UnsafeMutablePointer<Float>) {
        typealias V = FastMath.V
        let blocks = (width + 15) / 16
        KernelThreads.forRanges(blocks, grain: 2) { range in
            for block in range {
                let c = block * 16
                if c + 16 <= width {
                    var acc = UnsafeRawPointer(sums + c).loadUnaligned(as: V.self)
                    for r in 0..<rows { acc += UnsafeRawPointer(x + r * width + c).loadUnaligned(as: V.self) }
                    UnsafeMutableRawPointer(sums + c).storeBytes(of: acc, as: V.self)
                } else {
                    for j in c..<width {
                        var s: Float = 0
                        for r in 0..<rows { s += x[r * width + j] }
                        sums[j] += s
                    }
                }
            }
        }
    }
}
