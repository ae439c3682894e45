import CBLAS
import CKernels

extension Matmul {
    /// `c[m, n] = a[m, k] · b[n, k]ᵀ (+ c when accumulate)` with the weight `b` in bfloat16
    /// (`[out, in]` row-major, as a bf16 checkpoint stores it), accumulating in fp32.
    ///
    /// On AVX512_BF16 CPUs decoding-sized products (m ≤ `fewRows`) round `a` to bfloat16 and use
    /// `vdpbf16ps`. Elsewhere, and for larger products until a bf16 GEMM kernel takes them,
    /// panels of `b` are widened to fp32 (exact: bf16 is the top half of an fp32) and multiplied
    /// with fp32 `a` through BLAS, so the result is the fp32 product of the stored weights.
    public static func linearBF16(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<UInt16>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool = false
    ) {
        guard m > 0, n > 0 else { return }
        if m <= fewRows, c2s_has_bf16_dot() != 0 {
            KernelThreads.forRanges(n, grain: 64) { range in
                c2s_linear_few_rows_bf16(a, b, c, m, k, n, range.lowerBound, range.upperBound, accumulate ? 1 : 0)
            }
            return
        }
        linearBF16Widened(a, b, into: c, m: m, n: n, k: k, accumulate: accumulate)
    }

    /// The portable path: widen `panel` rows of `b` at a time (a panel of fp32 stays in L2/L3
    /// for the product) and multiply them in fp32.
    static func linearBF16Widened(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<UInt16>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        let panel = max(16, min(n, (1 << 19) / max(1, k)))  // ~2 MB of fp32 weights per panel
        let widened = UnsafeMutablePointer<Float>.allocate(capacity: panel * k)
        defer { widened.deallocate() }
        var j0 = 0
        while j0 < n {
            let rows = min(panel, n - j0)
            let source = UnsafeRawPointer(b + j0 * k), count = rows * k
            KernelThreads.forRanges(count, grain: 1 << 16) { range in
                FloatConversion.bfloat16ToFloat(source + range.lowerBound * 2, widened + range.lowerBound, count: range.count)
            }
            if m <= fewRows {
                let w = UnsafePointer(widened), out = c + j0
                KernelThreads.forRanges(rows, grain: 64) { range in
                    c2s_linear_few_rows(a, w, out, m, k, n, range.lowerBound, range.upperBound, accumulate ? 1 : 0)
                }
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(rows), Int32(k),
                            1, a, Int32(k), widened, Int32(k), accumulate ? 1 : 0, c + j0, Int32(n))
            }
            j0 += rows
        }
    }
}
