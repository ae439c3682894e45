import CBLAS
import CKernels

/// Matrix products of the engine. Every weight matrix is stored as PyTorch's `nn.Linear` stores
/// it, `[out, in]` row-major, so a layer computes `y[m, out] = x[m, in] · Wᵀ` (+ bias).
public enum Matmul {
    /// `c[m, n] = a[m, k] · b[n, k]ᵀ (+ c when accumulate)`, row-major, through OpenBLAS.
    @inline(__always)
    public static func linear(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool = false
    ) {
        guard m > 0, n > 0 else { return }
        if m <= fewRows {
            // Decoding: BLAS would pack all of `b` to use it once; read it in place instead.
            KernelThreads.forRanges(n, grain: 64) { range in
                c2s_linear_few_rows(a, b, c, m, k, n, range.lowerBound, range.upperBound, accumulate ? 1 : 0)
            }
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(k), accumulate ? 1 : 0, c, Int32(n))
    }

    /// Products with at most this many rows use the few-rows kernel instead of BLAS.
    public static let fewRows = 16

    /// The few-rows kernel's code path on this CPU (avx512, avx2 or portable).
    public static var fewRowsPath: String { String(cString: c2s_kernels_path()) }

    /// General strided product `c = alpha · op(a) · op(b) + beta · c`, row-major.
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets how many threads OpenBLAS uses. The engine gives BLAS all cores for large products
    /// and never runs its own worker threads at the same time.
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
}
