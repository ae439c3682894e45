import CKernels
import Foundation

/// Rates of the matrix products on this machine, for the benchmarks (`c2s lm bench-train
/// --gemm-peak`, `--bf16-linear`).
public enum MatmulBenchmarks {
    /// Best of three 2048³ fp32 products, in GFLOP/s.
    public static func gemmGFLOPs() -> Double {
        let n = 2048
        let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n), b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
        var best = Double.infinity
        for _ in 0..<3 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            Matmul.gemm(transA: false, transB: true, m: n, n: n, k: n, a, lda: n, b, ldb: n, c, ldc: n)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }

    /// Best time of `steps` products c[m, n] = a[m, k] · b[n, k]ᵀ with b in bfloat16, after
    /// `warmup` untimed ones.
    public static func linearBF16Seconds(m: Int, n: Int, k: Int, warmup: Int, steps: Int) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k), b = UnsafeMutablePointer<UInt16>.allocate(capacity: n * k)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(m * k) { a[i] = Float(i % 7) * 0.1 - 0.3 }
        for i in 0..<(n * k) { b[i] = UInt16(truncatingIfNeeded: (Float(i % 5) * 0.1 - 0.2).bitPattern >> 16) }
        c.update(repeating: 0, count: m * n)  // touch the pages before timing
        var best = Double.infinity
        for step in 0..<(warmup + steps) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            Matmul.linearBF16(a, b, into: c, m: m, n: n, k: k)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if step >= warmup { best = min(best, seconds) }
        }
        return best
    }

    /// Which kernel `Matmul.linearBF16` uses for `m` rows on this machine.
    public static func linearBF16Kernel(m: Int) -> String {
        c2s_has_bf16_dot() == 0 ? "widened-fp32-blas" : m <= Matmul.fewRows ? "few-rows-bf16" : "gemm-bf16"
    }
}
