import CKernels
import XCTest
@testable import Transformer

/// The adapters' skinny products equal a plain double-precision sum on every path (the AVX-512
/// kernels where the CPU has them, their portable C path on any CPU, and BLAS), over ranks and
/// widths that are not multiples of a vector, rows that are not multiples of a row group,
/// strided rows, and accumulation into what is there.
final class LowRankProductsTests: XCTestCase {
    override func tearDown() { LowRankProducts.path = c2s_has_avx512f() != 0 ? .kernels : .blas }

    var paths: [LowRankProducts.Path] {
        c2s_has_avx512f() != 0 ? [.kernels, .portableKernels, .blas] : [.portableKernels, .blas]
    }

    func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 40) / Double(1 << 24) * 2 - 1)
        }
    }

    /// Largest difference relative to the largest reference value.
    func assertClose(_ got: [Float], _ want: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, file: file, line: line)
        let scale = max(1e-30, want.map(abs).max() ?? 0)
        let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThan(worst / scale, 2e-6, what, file: file, line: line)
    }

    let shapes: [(rows: Int, depth: Int, rank: Int)] = [(1, 7, 1), (9, 40, 5), (37, 129, 16), (64, 33, 20), (23, 300, 33), (130, 64, 8), (600, 70, 16), (300, 530, 70)]

    func testRowsTimesPanel() {
        for path in paths {
            LowRankProducts.path = path
            for (t, k, r) in shapes {
                let lda = k + 3, ldc = r + 2
                let a = values(t * lda, seed: 1), b = values(k * r, seed: 2), start = values(t * ldc, seed: 3)
                for accumulate in [false, true] {
                    var c = start
                    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                        LowRankProducts.rowsTimesPanel(a.baseAddress!, lda: lda, b.baseAddress!, rank: r, into: c.baseAddress!, ldc: ldc,
                                                       rows: t, depth: k, alpha: 0.75, accumulate: accumulate)
                    } } }
                    var want = start.map(Double.init)
                    for i in 0..<t {
                        for j in 0..<r {
                            let sum = (0..<k).reduce(0.0) { $0 + Double(a[i * lda + $1]) * Double(b[$1 * r + j]) }
                            want[i * ldc + j] = 0.75 * sum + (accumulate ? Double(start[i * ldc + j]) : 0)
                        }
                    }
                    assertClose(c, want, "\(path) rows \(t) depth \(k) rank \(r) accumulate \(accumulate)")
                }
            }
        }
    }

    func testRowsPlusPanel() {
        for path in paths {
            LowRankProducts.path = path
            for (t, w, r) in shapes {
                let ldu = r + 1, ldq = w + 5, ldy = w + 2
                let u = values(t * ldu, seed: 4), q = values(r * ldq, seed: 5), start = values(t * ldy, seed: 6)
                var y = start
                u.withUnsafeBufferPointer { u in q.withUnsafeBufferPointer { q in y.withUnsafeMutableBufferPointer { y in
                    LowRankProducts.rowsPlusPanel(u.baseAddress!, ldu: ldu, q.baseAddress!, ldq: ldq, rank: r, into: y.baseAddress!,
                                                  ldy: ldy, rows: t, width: w, alpha: -1.5)
                } } }
                var want = start.map(Double.init)
                for i in 0..<t {
                    for n in 0..<w {
                        let sum = (0..<r).reduce(0.0) { $0 + Double(u[i * ldu + $1]) * Double(q[$1 * ldq + n]) }
                        want[i * ldy + n] += -1.5 * sum
                    }
                }
                assertClose(y, want, "\(path) rows \(t) width \(w) rank \(r)")
            }
        }
    }

    func testColumnsReduceInBothLayouts() {
        for path in paths {
            LowRankProducts.path = path
            for (t, n, r) in shapes {
                let ldm = n + 3, ldv = r + 1
                let m = values(t * ldm, seed: 7), v = values(t * ldv, seed: 8)
                for rankMajor in [true, false] {
                    let ld = rankMajor ? n + 2 : r + 4
                    let start = values(rankMajor ? r * ld : n * ld, seed: 9)
                    var g = start
                    m.withUnsafeBufferPointer { m in v.withUnsafeBufferPointer { v in g.withUnsafeMutableBufferPointer { g in
                        LowRankProducts.columnsReduce(m.baseAddress!, ldm: ldm, columns: n, v.baseAddress!, ldv: ldv, rank: r, rows: t,
                                                      into: g.baseAddress!, layout: rankMajor ? .rankMajor(ld: ld) : .columnMajor(ld: ld),
                                                      alpha: 0.5)
                    } } }
                    var want = start.map(Double.init)
                    for j in 0..<r {
                        for c in 0..<n {
                            let sum = (0..<t).reduce(0.0) { $0 + Double(v[$1 * ldv + j]) * Double(m[$1 * ldm + c]) }
                            want[rankMajor ? j * ld + c : c * ld + j] += 0.5 * sum
                        }
                    }
                    assertClose(g, want, "\(path) rows \(t) columns \(n) rank \(r) \(rankMajor ? "rank-major" : "column-major")")
                }
            }
        }
    }

    func testTransposed() {
        let source = values(6 * 11, seed: 10)
        let out = source.withUnsafeBufferPointer { LowRankProducts.transposed($0.baseAddress!, rows: 6, columns: 11) }
        defer { out.deallocate() }
        for i in 0..<6 { for j in 0..<11 { XCTAssertEqual(out[j * 6 + i], source[i * 11 + j]) } }
    }
}
