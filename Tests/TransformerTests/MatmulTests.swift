import XCTest
@testable import Transformer

final class MatmulTests: XCTestCase {
    func testLinearMatchesNaiveProductWithAndWithoutAccumulation() {
        let m = 5, n = 7, k = 13
        var rng = SystemRandomNumberGenerator()
        let a = (0..<m * k).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<n * k).map { _ in Float.random(in: -1...1, using: &rng) }
        var c = [Float](repeating: 0.5, count: m * n)
        var expected = c
        for i in 0..<m { for j in 0..<n {
            var s: Float = 0
            for p in 0..<k { s += a[i * k + p] * b[j * k + p] }
            expected[i * n + j] += s
        } }
        Matmul.linear(a, b, into: &c, m: m, n: n, k: k, accumulate: true)
        for i in 0..<m * n { XCTAssertEqual(c[i], expected[i], accuracy: 1e-5) }
        Matmul.linear(a, b, into: &c, m: m, n: n, k: k)
        for i in 0..<m * n { XCTAssertEqual(c[i], expected[i] - 0.5, accuracy: 1e-5) }
    }

    /// The few-rows kernel (decoding) against a double-precision product, over row counts,
    /// column blocks and lengths that exercise every edge of its blocking and vector tails.
    func testFewRowsKernelMatchesNaiveProductOnEveryEdge() {
        var rng = SystemRandomNumberGenerator()
        for m in [1, 2, 3, 4, 5, 7, 8, 9, 12, 16] {
            for (n, k) in [(1, 1), (3, 15), (5, 16), (7, 17), (9, 33), (66, 64), (130, 100), (67, 768)] {
                let a = (0..<m * k).map { _ in Float.random(in: -1...1, using: &rng) }
                let b = (0..<n * k).map { _ in Float.random(in: -1...1, using: &rng) }
                let start = (0..<m * n).map { _ in Float.random(in: -1...1, using: &rng) }
                for accumulate in [false, true] {
                    var c = start
                    Matmul.linear(a, b, into: &c, m: m, n: n, k: k, accumulate: accumulate)
                    var worst = 0.0
                    for i in 0..<m { for j in 0..<n {
                        var s = accumulate ? Double(start[i * n + j]) : 0
                        for p in 0..<k { s += Double(a[i * k + p]) * Double(b[j * k + p]) }
                        worst = max(worst, abs(s - Double(c[i * n + j])))
                    } }
                    XCTAssertLessThan(worst, 1e-4 * Double(max(1, k / 16)), "m \(m) n \(n) k \(k) accumulate \(accumulate) path \(Matmul.fewRowsPath)")
                }
            }
        }
    }
}
