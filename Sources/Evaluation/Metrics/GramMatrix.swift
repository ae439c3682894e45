import Foundation
import Mechanics
import SingleCell

/// X^T X of a sparse cells x features matrix (the unscaled, uncentred covariance), exact in
/// double precision.
///
/// Rows are taken in blocks of ``blockRows``: a block is made dense, and every stored entry
/// x[r, i] adds x[r, i] * x[r, j...] to row i of the result for j >= i (one SIMD multiply-add
/// over a contiguous row), so the work grows with the stored entries times the features, not
/// with the cells times the features squared. Rows of the result are spread over threads.
enum GramMatrix {
    static let blockRows = 64

    /// The full symmetric `columnCount x columnCount` matrix X^T X, row-major.
    static func compute(_ x: FeatureRows, threads: Int) -> [Double] {
        let g = x.columnCount
        var out = [Double](repeating: 0, count: g * g)
        guard g > 0 else { return out }
        let block = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * g)
        block.initialize(repeating: 0, count: blockRows * g)
        defer { block.deallocate() }
        // Per block, for each feature, the block rows where it is stored (a CSC index).
        var columnStart = [Int](repeating: 0, count: g + 1)
        var columnRows = [Int32](repeating: 0, count: blockRows * g)
        let chunks = min(g, max(1, threads) * 16)
        out.withUnsafeMutableBufferPointer { result in
            let c = SendablePointer(result.baseAddress!)
            let b = SendablePointer(block)
            var r0 = 0
            while r0 < x.rowCount {
                let rows = min(blockRows, x.rowCount - r0)
                for i in 0...g { columnStart[i] = 0 }
                for r in 0..<rows {
                    for e in x.indptr[r0 + r]..<x.indptr[r0 + r + 1] {
                        block[r * g + Int(x.indices[e])] = x.values[e]
                        columnStart[Int(x.indices[e]) + 1] += 1
                    }
                }
                for i in 0..<g { columnStart[i + 1] += columnStart[i] }
                var fill = columnStart
                for r in 0..<rows {
                    for e in x.indptr[r0 + r]..<x.indptr[r0 + r + 1] {
                        let i = Int(x.indices[e])
                        columnRows[fill[i]] = Int32(r)
                        fill[i] += 1
                    }
                }
                columnStart.withUnsafeBufferPointer { cs in
                    columnRows.withUnsafeBufferPointer { cr in
                        let starts = cs.baseAddress!, list = cr.baseAddress!
                        let shared = (starts, list)
                        nonisolated(unsafe) let captured = shared
                        // Interleaved chunks of result rows balance the triangle's uneven rows.
                        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                            var i = chunk
                            while i < g {
                                accumulateRow(i, g: g, starts: captured.0, rows: captured.1, block: b.p, out: c.p)
                                i += chunks
                            }
                        }
                    }
                }
                for r in 0..<rows {
                    for e in x.indptr[r0 + r]..<x.indptr[r0 + r + 1] { block[r * g + Int(x.indices[e])] = 0 }
                }
                r0 += rows
            }
            // Mirror the upper triangle.
            for i in 0..<g {
                for j in (i + 1)..<max(i + 1, g) { result[j * g + i] = result[i * g + j] }
            }
        }
        return out
    }

    /// out[i, i...] += sum over block rows r storing feature i of block[r, i] * block[r, i...].
    @inline(__always)
    static func accumulateRow(_ i: Int, g: Int, starts: UnsafePointer<Int>, rows: UnsafePointer<Int32>,
                              block: UnsafeMutablePointer<Double>, out: UnsafeMutablePointer<Double>) {
        let lo = starts[i], hi = starts[i + 1]
        guard lo < hi else { return }
        let target = out + i * g + i
        let length = g - i
        let vectorEnd = length & ~7
        for t in lo..<hi {
            let source = block + Int(rows[t]) * g + i
            let a = source[0]
            let av = SIMD8<Double>(repeating: a)
            var j = 0
            while j < vectorEnd {
                let s = UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<Double>.self)
                let d = UnsafeMutableRawPointer(target + j)
                d.storeBytes(of: d.loadUnaligned(as: SIMD8<Double>.self) + av * s, as: SIMD8<Double>.self)
                j += 8
            }
            while j < length { target[j] += a * source[j]; j += 1 }
        }
    }
}
