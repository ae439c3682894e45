import CBLAS
import CKernels

extension Matmul {
    /// `c[m, n] = a[m, k] · b[n, k]ᵀ (+ c when accumulate)` with the weight `b` in bfloat16
    /// (`[out, in]` row-major, as a bf16 checkpoint stores it), accumulating in fp32.
    ///
    /// On AVX512_BF16 CPUs `a` is rounded to bfloat16 (nearest even) and products use
    /// `vdpbf16ps`, accumulating in fp32: decoding-sized products (m ≤ `fewRows`) through the
    /// few-rows kernel, larger ones (prefill, training) through the blocked GEMM
    /// `c2s_gemm_bf16`, columns of `b` split over `KernelThreads` in 64-column panels (rows
    /// when `b` has under 128). Elsewhere panels of `b` are widened to fp32 (exact: bf16 is the
    /// top half of an fp32) and multiplied with fp32 `a` through BLAS, so the result is the
    /// fp32 product of the stored weights.
    public static func linearBF16(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<UInt16>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool = false
    ) {
        guard m > 0, n > 0 else { return }
        if c2s_has_bf16_dot() != 0 {
            if m <= fewRows {
                KernelThreads.forRanges(n, grain: 64) { range in
                    c2s_linear_few_rows_bf16(a, b, c, m, k, n, range.lowerBound, range.upperBound, accumulate ? 1 : 0)
                }
            } else {
                gemmBF16(a, b, into: c, m: m, n: n, k: k, accumulate: accumulate)
            }
            return
        }
        linearBF16Widened(a, b, into: c, m: m, n: n, k: k, accumulate: accumulate)
    }

    /// `dx[m, k] = dy[m, n] · W (+ dx when accumulate)` with `W` `[n, k]` in bfloat16: the
    /// input gradient of `y = x · Wᵀ`, for a frozen bf16 weight in training (LoRA's base).
    ///
    /// On AVX512_BF16 CPUs `dy` is rounded to bfloat16 and the product runs through
    /// `c2s_gemm_bf16_kn` (the blocked GEMM reading `W` by rows of the reduction), columns of
    /// `dx` split over `KernelThreads` in 64-column panels (rows when `k` is under 128).
    /// Elsewhere panels of `W`'s rows are widened to fp32 and multiplied through BLAS.
    public static func linearBackwardInputBF16(
        _ dy: UnsafePointer<Float>, _ w: UnsafePointer<UInt16>, into dx: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool = false
    ) {
        guard m > 0, k > 0 else { return }
        guard c2s_has_bf16_dot() != 0 else {
            backwardInputBF16Widened(dy, w, into: dx, m: m, n: n, k: k, accumulate: accumulate)
            return
        }
        overWorkers(rows: m, columns: k, kernel: "c2s_gemm_bf16_kn") { i0, rows, j0, columns in
            c2s_gemm_bf16_kn(dy + i0 * n, n, w + j0, k, dx + i0 * k + j0, k, rows, columns, n, accumulate ? 1 : 0)
        }
    }

    /// The portable input gradient: `panel` rows of `W` widened at a time, each adding its
    /// share `dy[:, rows] · W[rows, :]` into `dx` (the first one storing unless accumulating).
    static func backwardInputBF16Widened(
        _ dy: UnsafePointer<Float>, _ w: UnsafePointer<UInt16>, into dx: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        guard n > 0 else {
            if !accumulate { dx.update(repeating: 0, count: m * k) }
            return
        }
        forEachWidenedPanel(w, rows: n, columns: k) { p0, rows, widened in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(k), Int32(rows),
                        1, dy + p0, Int32(n), widened, Int32(k), accumulate || p0 > 0 ? 1 : 0, dx, Int32(k))
        }
    }

    /// The many-rows AVX512_BF16 path: each worker runs `c2s_gemm_bf16` over its own columns
    /// (whole 64-column panels, the kernel's width) or, for narrow `b`, its own rows, and packs
    /// what it uses.
    static func gemmBF16(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<UInt16>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        overWorkers(rows: m, columns: n, kernel: "c2s_gemm_bf16") { i0, rows, j0, columns in
            c2s_gemm_bf16(a + i0 * k, k, b + j0 * k, k, c + i0 * n + j0, n, rows, columns, k, accumulate ? 1 : 0)
        }
    }

    /// Splits a blocked bf16 GEMM's output over `KernelThreads`: whole 64-column panels (the
    /// kernel's width) per worker, or, with fewer than two panels, rows. `block(i0, rows, j0,
    /// columns)` computes one block and returns the kernel's status (0, or -1 when its packing
    /// buffers could not be allocated). The block runs outside any `precondition`: release
    /// builds are `-Ounchecked`, which does not evaluate a precondition's condition at all.
    static func overWorkers(rows m: Int, columns n: Int, kernel: String, _ block: (Int, Int, Int, Int) -> Int32) {
        let panel = 64, panels = (n + panel - 1) / panel
        if panels >= 2 {
            KernelThreads.forRanges(panels, grain: 1) { range in
                let j0 = range.lowerBound * panel, j1 = min(n, range.upperBound * panel)
                let status = block(0, m, j0, j1 - j0)
                if status != 0 { fatalError("\(kernel): cannot allocate its packing buffers") }
            }
        } else {
            KernelThreads.forRanges(m, grain: 48) { range in
                let status = block(range.lowerBound, range.count, 0, n)
                if status != 0 { fatalError("\(kernel): cannot allocate its packing buffers") }
            }
        }
    }

    /// The portable path: widen `panel` rows of `b` at a time (a panel of fp32 stays in L2/L3
    /// for the product) and multiply them in fp32.
    static func linearBF16Widened(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<UInt16>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        forEachWidenedPanel(b, rows: n, columns: k) { j0, rows, widened in
            if m <= fewRows {
                let out = c + j0
                KernelThreads.forRanges(rows, grain: 64) { range in
                    c2s_linear_few_rows(a, widened, out, m, k, n, range.lowerBound, range.upperBound, accumulate ? 1 : 0)
                }
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(rows), Int32(k),
                            1, a, Int32(k), widened, Int32(k), accumulate ? 1 : 0, c + j0, Int32(n))
            }
        }
    }

    /// Calls `body` with consecutive panels of the bf16 matrix `w` (`[rows, columns]`), each
    /// widened to fp32 (exact) into one reused buffer of about 2 MB, so that a panel stays in
    /// L2/L3 for the product that reads it.
    static func forEachWidenedPanel(_ w: UnsafePointer<UInt16>, rows n: Int, columns k: Int,
                                    _ body: (_ firstRow: Int, _ rows: Int, _ widened: UnsafePointer<Float>) -> Void) {
        let panel = max(16, min(n, (1 << 19) / max(1, k)))
        let widened = UnsafeMutablePointer<Float>.allocate(capacity: panel * k)
        defer { widened.deallocate() }
        var j0 = 0
        while j0 < n {
            let rows = min(panel, n - j0)
            let source = UnsafeRawPointer(w + j0 * k), count = rows * k
            KernelThreads.forRanges(count, grain: 1 << 16) { range in
                FloatConversion.bfloat16ToFloat(source + range.lowerBound * 2, widened + range.lowerBound, count: range.count)
            }
            body(j0, rows, widened)
            j0 += rows
        }
    }
}
