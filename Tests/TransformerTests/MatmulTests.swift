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
}
