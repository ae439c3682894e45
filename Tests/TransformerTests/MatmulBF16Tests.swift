import XCTest
@testable import Transformer

/// Products with bfloat16 weights, against a double-precision product of the same bf16 weights.
final class MatmulBF16Tests: XCTestCase {
    private func bf16(_ x: [Float]) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { s in out.withUnsafeMutableBytes { d in
            FloatConversion.floatToBFloat16(s.baseAddress!, d.baseAddress!, count: x.count)
        } }
        return out
    }

    private func reference(_ a: [Float], _ b: [UInt16], start: [Float], m: Int, n: Int, k: Int, roundA: Bool) -> [Double] {
        let a = roundA ? bf16(a).map { Float(bitPattern: UInt32($0) << 16) } : a
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
            let b = bf16((0..<n * k).map { _ in Float.random(in: -1...1, using: &rng) })
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
            let b = bf16((0..<n * k).map { _ in Float.random(in: -1...1, using: &rng) })
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
}
