import CKernels
import Foundation

/// The products of LoRA adapters, where one side is only `rank` (8-64) wide and the other a
/// whole activation (tokens × model width). On AVX-512 CPUs they run on c2s's own kernels
/// (`c2s_rows_times_panel`, `c2s_rows_plus_panel`, `c2s_columns_reduce`) over
/// `KernelThreads`: BLAS spends about as long packing the large operand as multiplying it,
/// and over a bf16 base (whose products run on c2s's bf16 GEMM) it has one thread. Elsewhere
/// they go to BLAS.
public enum LowRankProducts {
    /// Whether the hand-written kernels run on this CPU (AVX512F); tests may switch them off
    /// (BLAS) or to their portable C path.
    nonisolated(unsafe) public static var path: Path = c2s_has_avx512f() != 0 ? .kernels : .blas

    public enum Path: Sendable {
        case kernels, portableKernels, blas
    }

    /// Rows per worker below which splitting is not worth a thread.
    private static let grainRows = 64

    /// `c[t, r] (+)= alpha · a[t, k] · b[k, r]`, with `b` contiguous (`r` per row).
    public static func rowsTimesPanel(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, rank r: Int,
                                      into c: UnsafeMutablePointer<Float>, ldc: Int, rows t: Int, depth k: Int,
                                      alpha: Float = 1, accumulate: Bool = false) {
        guard t > 0, r > 0 else { return }
        guard path != .blas else {
            Matmul.gemm(transA: false, transB: false, m: t, n: r, k: k, alpha: alpha, a, lda: lda, b, ldb: r,
                        beta: accumulate ? 1 : 0, c, ldc: ldc)
            return
        }
        let portable: Int32 = path == .portableKernels ? 1 : 0
        KernelThreads.forRanges(t, grain: grainRows) { rows in
            c2s_rows_times_panel(a, lda, b, r, c, ldc, k, rows.lowerBound, rows.upperBound, alpha, accumulate ? 1 : 0, portable)
        }
    }

    /// `y[t, 0 ..< w] += alpha · u[t, r] · q[r, w]`.
    public static func rowsPlusPanel(_ u: UnsafePointer<Float>, ldu: Int, _ q: UnsafePointer<Float>, ldq: Int, rank r: Int,
                                     into y: UnsafeMutablePointer<Float>, ldy: Int, rows t: Int, width w: Int, alpha: Float = 1) {
        guard t > 0, w > 0, r > 0 else { return }
        guard path != .blas else {
            Matmul.gemm(transA: false, transB: false, m: t, n: w, k: r, alpha: alpha, u, lda: ldu, q, ldb: ldq, beta: 1, y, ldc: ldy)
            return
        }
        let portable: Int32 = path == .portableKernels ? 1 : 0
        KernelThreads.forRanges(t, grain: grainRows) { rows in
            c2s_rows_plus_panel(u, ldu, q, ldq, r, y, ldy, w, rows.lowerBound, rows.upperBound, alpha, portable)
        }
    }

    /// Where `columnsReduce` writes: `g` as `[r, n]` (row stride `ld`) or as `[n, r]`.
    public enum ReducedLayout: Sendable {
        case rankMajor(ld: Int)
        case columnMajor(ld: Int)
    }

    /// `g[j, n] += alpha · Σᵢ v[i, j] · m[i, n]` over `rows` rows, for `j < r`, `n < columns`:
    /// a parameter gradient of an adapter (`dA = dUᵀ·x` rank-major, `dB = dYᵀ·U` column-major).
    public static func columnsReduce(_ m: UnsafePointer<Float>, ldm: Int, columns n: Int, _ v: UnsafePointer<Float>, ldv: Int,
                                     rank r: Int, rows t: Int, into g: UnsafeMutablePointer<Float>, layout: ReducedLayout,
                                     alpha: Float = 1) {
        guard n > 0, r > 0, t > 0 else { return }
        guard path != .blas else {
            switch layout {
            case .rankMajor(let ld):
                Matmul.gemm(transA: true, transB: false, m: r, n: n, k: t, alpha: alpha, v, lda: ldv, m, ldb: ldm, beta: 1, g, ldc: ld)
            case .columnMajor(let ld):
                Matmul.gemm(transA: true, transB: false, m: n, n: r, k: t, alpha: alpha, m, lda: ldm, v, ldb: ldv, beta: 1, g, ldc: ld)
            }
            return
        }
        let (gsj, gsn): (Int, Int) = switch layout {
        case .rankMajor(let ld): (ld, 1)
        case .columnMajor(let ld): (1, ld)
        }
        let portable: Int32 = path == .portableKernels ? 1 : 0
        // Blocks of 16 columns (one vector), each summed over every row by one worker.
        let blocks = (n + 15) / 16
        KernelThreads.forRanges(blocks, grain: 2) { range in
            c2s_columns_reduce(m, ldm, v, ldv, r, t, g, gsj, gsn, range.lowerBound * 16, min(n, range.upperBound * 16), alpha, portable)
        }
    }

    /// `rows × columns` floats transposed into a new buffer (`columns × rows`), which the
    /// caller deallocates: an adapter matrix turned into the panel layout above (small:
    /// rank × width).
    public static func transposed(_ source: UnsafePointer<Float>, rows: Int, columns: Int) -> UnsafeMutablePointer<Float> {
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows * columns))
        BlockedTranspose.convert(UnsafeRawPointer(source), dtype: .f32, rows: rows, columns: columns, into: out)
        return out
    }
}
