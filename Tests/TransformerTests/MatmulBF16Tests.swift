import CKernels
import XCTest
@testable import Transformer

/// Products with bfloat16 weights, against a double-precision product of the same bf16 weights.
final class MatmulBF16Tests: XCTestCase {
    private func reference(_ a: [Float], _ b: [UInt16], start: [Float], m: Int, n: Int, k: Int, roundA: Bool) -> [Double] {
        let a = roundA ? BF16Test.bits(a).map { Float(bitPattern: UInt32($0) << 16) } : a
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = Double(start[i * n + j])
            for p in 0..<k { s += Double(a[i * k + p]) * Double(Float(bitPattern: UInt32(b[j * k + p]) << 16)) }
            out[i * n + j] = s
        } }
        return out
    }

    /// The portable path computes the fp32 product of the stored weights exactly (up to fp32
    /// summation), over panel edges and both the few-rows and BLAS branches.
    func testWidenedPathIsTheFP32ProductOfTheStoredWeights() {
        var rng = SystemRandomNumberGenerator()
        for (m, n, k) in [(1, 1, 1), (3, 17, 33), (16, 70, 64), (17, 9, 100), (40, 300, 2000)] {
            let a = (0..<m * k).map { _ in Float.random(in: -1...1, using: &rng) }
            let b = BF16Test.bits((0..<n * k).map { _ in Float.random(in: -1...1, using: &rng) })
            let start = (0..<m * n).map { _ in Float.random(in: -1...1, using: &rng) }
            for accumulate in [false, true] {
                var c = start
                Matmul.linearBF16Widened(a, b, into: &c, m: m, n: n, k: k, accumulate: accumulate)
                let expected = reference(a, b, start: accumulate ? start : [Float](repeating: 0, count: m * n), m: m, n: n, k: k, roundA: false)
                let worst = zip(c, expected).map { abs(Double($0) - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 2e-5 * Double(max(1, k / 16)), "m \(m) n \(n) k \(k) accumulate \(accumulate)")
            }
        }
    }

    /// The dispatching entry point, whichever kernel this CPU takes: within bf16 rounding of the
    /// activations (the AVX512_BF16 kernels round them) of the exact product.
    func testLinearBF16MatchesTheProductOfTheStoredWeights() {
        var rng = SystemRandomNumberGenerator()
        for (m, n, k) in [(1, 5, 7), (8, 64, 128), (16, 33, 65), (17, 48, 96), (64, 130, 257), (200, 96, 512)] {
            let a = (0..<m * k).map { _ in Float.random(in: -1...1, using: &rng) }
            let b = BF16Test.bits((0..<n * k).map { _ in Float.random(in: -1...1, using: &rng) })
            let start = (0..<m * n).map { _ in Float.random(in: -1...1, using: &rng) }
            for accumulate in [false, true] {
                var c = start
                Matmul.linearBF16(a, b, into: &c, m: m, n: n, k: k, accumulate: accumulate)
                let base = accumulate ? start : [Float](repeating: 0, count: m * n)
                let exact = reference(a, b, start: base, m: m, n: n, k: k, roundA: false)
                let rounded = reference(a, b, start: base, m: m, n: n, k: k, roundA: true)
                // Either the activations were rounded to bf16 (fast kernels) or not (portable).
                let worst = zip(c, zip(exact, rounded)).map { min(abs(Double($0) - $1.0), abs(Double($0) - $1.1)) }.max() ?? 0
                XCTAssertLessThan(worst, 2e-5 * Double(max(1, k / 16)), "m \(m) n \(n) k \(k) accumulate \(accumulate)")
            }
        }
    }

    // MARK: the many-rows AVX512_BF16 GEMM (c2s_gemm_bf16: 6 x 64 microkernel, k in blocks of
    // 256, columns in blocks of up to 1024)

    /// c (+)= bf16(a) · bᵀ in double, with strides, for checking the GEMM.
    private func roundedReference(_ a: [Float], lda: Int, _ b: [UInt16], ldb: Int, _ c: [Float], ldc: Int,
                                  m: Int, n: Int, k: Int, accumulate: Bool) -> [Double] {
        let ar = BF16Test.bits(a).map(BF16Test.widen)
        let bw = b.map(BF16Test.widen)
        var out = c.map(Double.init)
        for i in 0..<m { for j in 0..<n {
            var s = accumulate ? Double(c[i * ldc + j]) : 0
            for p in 0..<k { s += ar[i * lda + p] * bw[j * ldb + p] }
            out[i * ldc + j] = s
        } }
        return out
    }

    /// Runs c2s_gemm_bf16 once with padded strides (a's and b's padding NaN, which must not be
    /// read; c's padding must stay as it was) and returns the worst error against the double
    /// product of the bf16-rounded a and b.
    private func gemmError(m: Int, n: Int, k: Int, accumulate: Bool, pad: Int, using rng: inout some RandomNumberGenerator) -> Double {
        let lda = k + pad, ldb = k + pad, ldc = n + pad
        var a = (0..<m * lda).map { _ in Float.random(in: -1...1, using: &rng) }
        var b = BF16Test.bits((0..<n * ldb).map { _ in Float.random(in: -1...1, using: &rng) })
        for i in 0..<m { for p in k..<lda { a[i * lda + p] = .nan } }
        for j in 0..<n { for p in k..<ldb { b[j * ldb + p] = 0x7FC0 } }  // bf16 NaN
        let start = (0..<m * ldc).map { _ in Float.random(in: -1...1, using: &rng) }
        var c = start
        let status = c2s_gemm_bf16(a, lda, b, ldb, &c, ldc, m, n, k, accumulate ? 1 : 0)
        XCTAssertEqual(status, 0)
        let expected = roundedReference(a, lda: lda, b, ldb: ldb, start, ldc: ldc, m: m, n: n, k: k, accumulate: accumulate)
        var worst = 0.0
        for i in 0..<m { for j in 0..<ldc {
            let got = c[i * ldc + j]
            if j >= n {
                XCTAssertEqual(got, start[i * ldc + j], "m \(m) n \(n) k \(k): padding of c written at \(i), \(j)")
                continue
            }
            let e = abs(Double(got) - expected[i * ldc + j])
            worst = e.isNaN ? .infinity : max(worst, e)
        } }
        return worst
    }

    /// fp32 accumulation of k terms of magnitude ≤ 1: well under the error of not rounding a
    /// to bf16 (≈ 2⁻⁹ per term) or of truncating instead of rounding to nearest even.
    private func gemmTolerance(_ k: Int) -> Double { 1e-5 * Double(max(1, k / 16)) }

    /// Every edge of the blocking: rows around the 6-row microkernel, columns around the
    /// 16-lane groups and 64-column panels, k around a pair and the 256-element blocks, with
    /// and without accumulating, with padded and unpadded strides.
    func testGemmBF16EdgesOfTheBlocking() throws {
        try XCTSkipUnless(c2s_has_bf16_dot() != 0, "this CPU lacks AVX512_BF16")
        var rng = SystemRandomNumberGenerator()
        let rows = [1, 5, 6, 7, 12, 13, 17], columns = [1, 15, 16, 17, 63, 64, 65, 129], depths = [1, 2, 3, 31, 33, 256, 257, 513]
        var case_ = 0
        for m in rows { for n in columns { for k in depths {
            case_ += 1
            let accumulate = case_ % 2 == 0, pad = case_ % 3
            let worst = gemmError(m: m, n: n, k: k, accumulate: accumulate, pad: pad, using: &rng)
            XCTAssertLessThan(worst, gemmTolerance(k), "m \(m) n \(n) k \(k) accumulate \(accumulate) pad \(pad)")
        } } }
    }

    /// Larger products: several column blocks (n over 1024, split into equal blocks), several
    /// k blocks with an odd tail, rows not a multiple of 6.
    func testGemmBF16SeveralBlocks() throws {
        try XCTSkipUnless(c2s_has_bf16_dot() != 0, "this CPU lacks AVX512_BF16")
        var rng = SystemRandomNumberGenerator()
        for (m, n, k, accumulate, pad) in [(50, 1100, 515, false, 0), (23, 2100, 300, true, 3), (97, 130, 770, true, 1)] {
            let worst = gemmError(m: m, n: n, k: k, accumulate: accumulate, pad: pad, using: &rng)
            XCTAssertLessThan(worst, gemmTolerance(k), "m \(m) n \(n) k \(k) accumulate \(accumulate)")
        }
    }

    /// a is rounded to nearest, ties to even, exactly as the few-rows kernel does: 1 + 2⁻⁸
    /// lies halfway between 1 and 1 + 2⁻⁷ and must become 1; 1 + 3·2⁻⁸ must become 1 + 2⁻⁶.
    /// k = 37: a full vector of 32 and a masked tail of 5.
    func testGemmBF16RoundsActivationsToNearestEven() throws {
        try XCTSkipUnless(c2s_has_bf16_dot() != 0, "this CPU lacks AVX512_BF16")
        let m = 20, n = 3, k = 37
        let one: UInt16 = 0x3F80
        let a = (0..<m * k).map { i -> Float in i % 2 == 0 ? 1 + 0x1p-8 : 1 + 3 * 0x1p-8 }
        let b = [UInt16](repeating: one, count: n * k)
        var c = [Float](repeating: .nan, count: m * n)
        XCTAssertEqual(c2s_gemm_bf16(a, k, b, k, &c, n, m, n, k, 0), 0)
        for i in 0..<m {
            let evens = (0..<k).filter { (i * k + $0) % 2 == 0 }.count
            let expected = Float(evens) * 1 + Float(k - evens) * (1 + 0x1p-6)
            for j in 0..<n { XCTAssertEqual(c[i * n + j], expected, "row \(i) column \(j)") }
        }
    }

    /// The worker split behind both blocked bf16 GEMMs calls its block over every output
    /// element exactly once, whatever the CPU (this runs without AVX512_BF16 too: the split once
    /// sat inside a `precondition`, which the `-Ounchecked` release build never evaluates, so
    /// no block ran and every many-rows bf16 product returned zeros on AVX512_BF16 machines).
    func testTheWorkerSplitRunsEveryBlockOnce() {
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        for (m, n) in [(17, 1), (17, 48), (64, 63), (120, 100), (300, 40), (17, 200), (50, 1100), (1, 130)] {
            for threads in [1, 2, 3] {
                KernelThreads.count = threads
                let covered = UnsafeMutablePointer<Int32>.allocate(capacity: m * n)
                defer { covered.deallocate() }
                covered.initialize(repeating: 0, count: m * n)
                Matmul.overWorkers(rows: m, columns: n, kernel: "test") { i0, rows, j0, columns in
                    for i in i0..<(i0 + rows) { for j in j0..<(j0 + columns) { covered[i * n + j] += 1 } }
                    return 0
                }
                let counts = Set(UnsafeBufferPointer(start: covered, count: m * n))
                XCTAssertEqual(counts, [1], "m \(m) n \(n) threads \(threads): blocks cover the output \(counts) times")
            }
        }
    }

    /// Matmul.linearBF16 above fewRows takes the GEMM with columns (or, for narrow b, rows)
    /// split across workers: the result must not depend on the split.
    func testLinearBF16ManyRowsUsesTheGemmOverThreads() throws {
        try XCTSkipUnless(c2s_has_bf16_dot() != 0, "this CPU lacks AVX512_BF16")
        var rng = SystemRandomNumberGenerator()
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        for (m, n, k) in [(17, 1, 1), (17, 200, 33), (120, 100, 64), (64, 63, 257), (300, 40, 96)] {
            let a = (0..<m * k).map { _ in Float.random(in: -1...1, using: &rng) }
            let b = BF16Test.bits((0..<n * k).map { _ in Float.random(in: -1...1, using: &rng) })
            let start = (0..<m * n).map { _ in Float.random(in: -1...1, using: &rng) }
            for accumulate in [false, true] {
                let expected = roundedReference(a, lda: k, b, ldb: k, start, ldc: n, m: m, n: n, k: k, accumulate: accumulate)
                var results: [[Float]] = []
                for threads in [1, 2, 3] {
                    KernelThreads.count = threads
                    var c = start
                    Matmul.linearBF16(a, b, into: &c, m: m, n: n, k: k, accumulate: accumulate)
                    let worst = zip(c, expected).map { abs(Double($0) - $1) }.max() ?? 0
                    XCTAssertLessThan(worst, gemmTolerance(k), "m \(m) n \(n) k \(k) accumulate \(accumulate) threads \(threads)")
                    results.append(c)
                }
                XCTAssertEqual(results[0], results[1], "m \(m) n \(n) k \(k): 1 and 2 workers differ")
                XCTAssertEqual(results[0], results[2], "m \(m) n \(n) k \(k): 1 and 3 workers differ")
            }
        }
    }
}
