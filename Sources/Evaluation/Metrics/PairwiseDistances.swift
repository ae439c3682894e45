import Foundation
import Mechanics
import SingleCell

/// Euclidean distances between the rows of dense matrices, as sqrt(sum((x - y)^2)) (the
/// formula of `scipy.spatial.distance.cdist`, with no cancellation for near points).
public enum PairwiseDistances {
    /// The symmetric `n x n` distance matrix of the `n` rows of `points` (row-major,
    /// `n x dimensions`), zero on the diagonal, each pair computed once and mirrored.
    public static func within(_ points: [Double], rows n: Int, dimensions d: Int, threads: Int = Parallel.defaultThreads) -> [Double] {
        precondition(points.count == n * d)
        var out = [Double](repeating: 0, count: n * n)
        guard n > 1 else { return out }
        points.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                let src = p.baseAddress!, dst = SendablePointer(o.baseAddress!)
                nonisolated(unsafe) let points = src
                // Row i computes pairs (i, j > i); interleave rows so threads get equal work.
                let parts = max(1, min(threads * 8, n))
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    var i = part
                    while i < n {
                        for j in (i + 1)..<n {
                            let v = squaredDistance(points + i * d, points + j * d, d).squareRoot()
                            dst[i * n + j] = v
                            dst[j * n + i] = v
                        }
                        i += parts
                    }
                }
            }
        }
        return out
    }

    /// sum((a - b)^2) over `d` entries, eight lanes at a time.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ d: Int) -> Double {
        var acc = SIMD8<Double>()
        var k = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while k + 8 <= d {
            let diff = ra.loadUnaligned(fromByteOffset: k * 8, as: SIMD8<Double>.self) - rb.loadUnaligned(fromByteOffset: k * 8, as: SIMD8<Double>.self)
            acc += diff * diff
            k += 8
        }
        var s = acc.sum()
        while k < d { let diff = a[k] - b[k]; s += diff * diff; k += 1 }
        return s
    }
}
