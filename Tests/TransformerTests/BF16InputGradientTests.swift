import CKernels
import XCTest
@testable import Transformer

/// The input gradient `dx = dy · W` of a layer with bfloat16 weights `W` `[n, k]` (LoRA over a
/// frozen bf16 base), against a double-precision product of the same bf16 weights.
final class BF16InputGradientTests: XCTestCase {
    /// c[i, j] (+)= Σ_p a'[i, p] · b[p, j] in double, b stored `[k, n]` with row stride ldb;
    /// a' is a rounded to bf16 when `roundA`.
    private func reference(_ a: [Float], lda: Int, _ b: [UInt16], ldb: Int, _ c: [Float], ldc: Int,
                           m: Int, n: Int, k: Int, accumulate: Bool, roundA: Bool) -> [Double] {
        let ar = roundA ? BF16Test.bits(a).map(BF16Test.widen) : a.map(Double.init)
        var out = c.map(Double.init)
        for i in 0..<m { for j in 0..<n {
            var s = accumulate ? Double(c[i * ldc + j]) : 0
            for p in 0..<k { s += ar[i * lda + p] * BF16Test.widen(b[p * ldb + j]) }
            out[i * ldc + j] = s
        } }
        return out
    }

    private func tolerance(_ k: Int) -> Double { 1e-5 * Double(max(1, k / 16)) }

    /// `c2s_gemm_bf16_kn` over every edge of the blocking (rows around the 6-row microkernel,
    /// columns around the 32-column interleave groups and 64-column panels, k odd, around a
    /// pair and the 256-element blocks), with padded strides whose padding is NaN (never read)
    /// and padding of c that must stay as it was.
    func testGemmKNEdgesOfTheBlocking() throws {
        try XCTSkipUnless(c2s_has_bf16_dot() != 0, "this CPU lacks AVX512_BF16")
        var rng = SystemRandomNumberGenerator()
        var case_ = 0
        for m in [1, 6, 7, 13] { for n in [1, 31, 32, 33, 64, 65, 130] { for k in [1, 2, 3, 255, 256, 257, 600] {
            case_ += 1
            let accumulate = case_ % 2 == 0, pad = case_ % 3
            let lda = k + pad, ldb = n + pad, ldc = n + pad
            var a = (0..<m * lda).map { _ in Float.random(in: -1...1, using: &rng) }
            var b = BF16Test.bits((0..<k * ldb).map { _ in Float.random(in: -1...1, using: &rng) })
            for i in 0..<m { for p in k..<lda { a[i * lda + p] = .nan } }
            for p in 0..<k { for j in n..<ldb { b[p * ldb + j] = 0x7FC0 } }  // bf16 NaN
            let start = (0..<m * ldc).map { _ in Float.random(in: -1...1, using: &rng) }
            var c = start
            XCTAssertEqual(c2s_gemm_bf16_kn(a, lda, b, ldb, &c, ldc, m, n, k, accumulate ? 1 : 0), 0)
            let expected = reference(a, lda: lda, b, ldb: ldb, start, ldc: ldc, m: m, n: n, k: k, accumulate: accumulate, roundA: true)
            var worst = 0.0
            for i in 0..<m { for j in 0..<ldc {
                if j >= n {
                    XCTAssertEqual(c[i * ldc + j], start[i * ldc + j], "m \(m) n \(n) k \(k): padding of c written")
                    continue
                }
                let e = abs(Double(c[i * ldc + j]) - expected[i * ldc + j])
                worst = e.isNaN ? .infinity : max(worst, e)
            } }
            XCTAssertLessThan(worst, tolerance(k), "m \(m) n \(n) k \(k) accumulate \(accumulate) pad \(pad)")
        } } }
    }

    /// The Swift entry point splits dx's columns (or, when narrow, its rows) over workers; the
    /// result must be the same product whatever the split, and both it and the portable
    /// (widening) path must match the double product: the fast path of the bf16-rounded dy,
    /// the portable one of dy itself.
    func testInputGradientEntryPointsAgree() throws {
        var rng = SystemRandomNumberGenerator()
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        let fast = c2s_has_bf16_dot() != 0
        for (m, n, k) in [(1, 1, 1), (5, 7, 3), (17, 96, 100), (40, 300, 64), (64, 257, 200), (33, 128, 1100)] {
            // dy [m, n], W [n, k], dx [m, k].
            let dy = (0..<m * n).map { _ in Float.random(in: -1...1, using: &rng) }
            let w = BF16Test.bits((0..<n * k).map { _ in Float.random(in: -1...1, using: &rng) })
            let start = (0..<m * k).map { _ in Float.random(in: -1...1, using: &rng) }
            for accumulate in [false, true] {
                let rounded = reference(dy, lda: n, w, ldb: k, start, ldc: k, m: m, n: k, k: n, accumulate: accumulate, roundA: true)
                let exact = reference(dy, lda: n, w, ldb: k, start, ldc: k, m: m, n: k, k: n, accumulate: accumulate, roundA: false)
                var first: [Float]?
                for threads in [1, 2, 3] {
                    KernelThreads.count = threads
                    var dx = start
                    Matmul.linearBackwardInputBF16(dy, w, into: &dx, m: m, n: n, k: k, accumulate: accumulate)
                    let worst = zip(dx, fast ? rounded : exact).map { abs(Double($0) - $1) }.max() ?? 0
                    XCTAssertLessThan(worst, tolerance(n), "m \(m) n \(n) k \(k) accumulate \(accumulate) threads \(threads)")
                    if let first { XCTAssertEqual(dx, first, "the split over \(threads) workers changed the result") } else { first = dx }
                }
                var widened = start
                Matmul.backwardInputBF16Widened(dy, w, into: &widened, m: m, n: n, k: k, accumulate: accumulate)
                let worst = zip(widened, exact).map { abs(Double($0) - $1) }.max() ?? 0
                XCTAssertLessThan(worst, tolerance(n), "widened: m \(m) n \(n) k \(k) accumulate \(accumulate)")
            }
        }
    }
}
