import Foundation
import Mechanics
import SingleCell

/// Dense double-precision matrix products for the Gromov-Wasserstein solver (no BLAS).
enum MatrixProduct {
    /// out = a . b with `a` (`n x k`), `b` (`k x m`), all row-major.
    ///
    /// Each output row is built as a sum of rows of `b` scaled by the entries of `a`'s row, in
    /// panels of `b` rows that stay in cache while every output row uses them; two output rows
    /// share each load of `b`. Output rows are spread over threads.
    static func multiply(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>,
                         n: Int, k: Int, m: Int, threads: Int) {
        out.update(repeating: 0, count: n * m)
        let panel = 128
        let pairs = (n + 1) / 2
        nonisolated(unsafe) let a = a, b = b
        let o = SendablePointer(out)
        Parallel.forEachRange(pairs, threads: threads) { _, range in
            var k0 = 0
            while k0 < k {
                let k1 = min(k, k0 + panel)
                for pair in range {
                    let i = 2 * pair
                    if i + 1 < n {
                        accumulateTwo(a + i * k, a + (i + 1) * k, b, o.p + i * m, o.p + (i + 1) * m, k0, k1, m)
                    } else {
                        accumulateOne(a + i * k, b, o.p + i * m, k0, k1, m)
                    }
                }
                k0 = k1
            }
        }
    }

    @inline(__always)
    static func accumulateTwo(_ a0: UnsafePointer<Double>, _ a1: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                              _ o0: UnsafeMutablePointer<Double>, _ o1: UnsafeMutablePointer<Double>, _ k0: Int, _ k1: Int, _ m: Int) {
        let vectorEnd = m & ~7
        var j = 0
        while j < vectorEnd {
            var s0 = UnsafeRawPointer(o0 + j).loadUnaligned(as: SIMD8<Double>.self)
            var s1 = UnsafeRawPointer(o1 + j).loadUnaligned(as: SIMD8<Double>.self)
            for t in k0..<k1 {
                let row = UnsafeRawPointer(b + t * m + j).loadUnaligned(as: SIMD8<Double>.self)
                s0 += SIMD8(repeating: a0[t]) * row
                s1 += SIMD8(repeating: a1[t]) * row
            }
            UnsafeMutableRawPointer(o0 + j).storeBytes(of: s0, as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(o1 + j).storeBytes(of: s1, as: SIMD8<Double>.self)
            j += 8
        }
        while j < m {
            var s0 = o0[j], s1 = o1[j]
            for t in k0..<k1 { s0 += a0[t] * b[t * m + j]; s1 += a1[t] * b[t * m + j] }
            o0[j] = s0; o1[j] = s1
            j += 1
        }
    }

    @inline(__always)
    static func accumulateOne(_ a0: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ o0: UnsafeMutablePointer<Double>,
                              _ k0: Int, _ k1: Int, _ m: Int) {
        for j in 0..<m {
            var s = o0[j]
            for t in k0..<k1 { s += a0[t] * b[t * m + j] }
            o0[j] = s
        }
    }
}
