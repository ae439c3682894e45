import CBLAS
import Foundation
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
    public static func setThreads(_ count: Int) {
        blasThreads = max(1, count)
        openblas_set_num_threads(Int32(blasThreads))
    }

    /// The thread count last set with `setThreads`, which `singleThreadedBLAS` returns to.
    nonisolated(unsafe) public private(set) static var blasThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body`, whose own workers call BLAS, with BLAS single-threaded meanwhile.
    @inline(__always)
    static func singleThreadedBLAS(when parallel: Bool, _ body: () -> Void) {
        let toggle = parallel && blasThreads > 1
        if toggle { openblas_set_num_threads(1) }
        body()
        if toggle { openblas_set_num_threads(Int32(blasThreads)) }
    }

    /// Sets OpenBLAS's threads for a model whose weight matrices are kept in `precision`: all
    /// of `KernelThreads.count` when BLAS runs its large products (fp32 weights, or bf16/int8
    /// widened on CPUs without AVX512_BF16), one when c2s's own bf16 GEMM runs them on its own
    /// workers. BLAS is then left only attention's and adapters' small products, and its idle
    /// threads, which spin and yield for a while after each call, would take cycles from those
    /// workers on every core (a LoRA step over a bf16 Pythia-410m base: 39.6 -> 36.9 s with one
    /// BLAS thread, 2-core Zen 4).
    public static func setThreads(forMatrices precision: MatrixPrecision) {
        setThreads(precision != .fp32 && c2s_has_bf16_dot() != 0 ? 1 : KernelThreads.count)
    }
}
