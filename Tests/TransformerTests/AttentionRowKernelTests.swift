import CKernels
import Foundation
import XCTest
@testable import Transformer

/// Attention's row operations (AVX-512 C kernels where the CPU has them, the Swift loops
/// elsewhere) against double-precision sums: softmax with its log-sum-exp, probabilities from a
/// saved log-sum-exp, and the softmax gradient, over lengths with and without a vector tail.
final class AttentionRowKernelTests: XCTestCase {
    func row(_ n: Int, seed: Int) -> [Float] { (0..<n).map { Float(sin(Double($0 * 7 + seed)) * 9 + Double(seed % 3)) } }

    func testSoftmaxAndItsLogSumExp() {
        for n in [1, 5, 16, 17, 64, 100, 513] {
            var x = row(n, seed: n)
            let lse = x.withUnsafeMutableBufferPointer { Attention.softmax($0.baseAddress!, count: n, softCap: nil) }
            let original = row(n, seed: n).map(Double.init)
            let m = original.max()!, sum = original.reduce(0) { $0 + exp($1 - m) }
            XCTAssertEqual(Double(lse), m + log(sum), accuracy: 2e-6 * max(1, abs(m)), "log-sum-exp, n \(n)")
            for i in 0..<n { XCTAssertEqual(Double(x[i]), exp(original[i] - m) / sum, accuracy: 2e-6, "n \(n), \(i)") }
            if n > 1 {
                // The C path reports whether it ran; where it does, it must agree with the above.
                var y = row(n, seed: n), l: Float = 0
                if c2s_softmax_row(&y, n, &l) == 0 { XCTAssertEqual(l, lse, accuracy: 1e-5); XCTAssertEqual(y, x) }
            }
        }
    }

    func testExpShiftedAndSoftmaxGradient() throws {
        guard c2s_has_avx512f() != 0 else { throw XCTSkip("the C row kernels run only with AVX512F; the Swift loops are covered by the attention parity tests") }
        for n in [1, 15, 16, 33, 200] {
            var x = row(n, seed: 2 * n)
            XCTAssertEqual(c2s_exp_shifted(&x, n, 3.5), 0)
            for (i, v) in row(n, seed: 2 * n).enumerated() {
                let want = exp(Double(v) - 3.5)
                XCTAssertEqual(Double(x[i]), want, accuracy: 2e-6 * max(1, want), "exp, n \(n), \(i)")
            }
            let p = row(n, seed: 5).map { abs($0) / 10 }
            var ds = row(n, seed: 7)
            XCTAssertEqual(c2s_softmax_gradient(&ds, p, n, 0.25, 0.125), 0)
            for (i, g) in row(n, seed: 7).enumerated() {
                XCTAssertEqual(Double(ds[i]), 0.125 * Double(p[i]) * (Double(g) - 0.25), accuracy: 1e-5, "gradient, n \(n), \(i)")
            }
        }
    }
}
