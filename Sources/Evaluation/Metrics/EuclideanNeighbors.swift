import CEvaluationKernels
import Foundation
import Mechanics
import SingleCell

/// Exact k-nearest-neighbour search by Euclidean distance, brute force over every reference.
///
/// Squared distances are computed as |q|^2 + |r|^2 - 2 q.r (clipped at 0), the expansion
/// scikit-learn uses too, in double precision. Queries are processed in blocks of
/// ``blockSize``: a block is scattered into a dense feature-major buffer once, and each sparse
/// reference row then costs one SIMD multiply-add per stored entry for the whole block, so
/// sparse expression (hundreds of genes per cell out of thousands) and dense PCA scores use
/// the same kernel (in C with AVX-512 or AVX2 fused multiply-adds when the CPU has them, else
/// Swift SIMD). Blocks are spread over threads; every query sees the references in index
/// order, so ties are resolved by ``NeighborTieRule`` exactly, whatever the thread count.
public enum EuclideanNeighbors {
    /// Queries per block: two 8-lane accumulators.
    static let blockSize = 16

    /// For each k in `ks`, the k nearest `references` of every row of `queries`, ties kept by
    /// `rule`. Every k must lie in 1...(number of references), or 1...(references - 1) with
    /// `leaveOneOut`, which requires `queries` and `references` to be the same rows and
    /// classifies each row by the others as scikit-learn's `kneighbors(X=None)` does (k + 1
    /// neighbours including the row itself, then the row removed).
    public static func search(queries: FeatureRows, references: FeatureRows, ks: [Int], rule: NeighborTieRule = .scikitLearnHeap,
                              leaveOneOut: Bool = false, threads: Int = Parallel.defaultThreads) -> [NeighborLists] {
        precondition(queries.columnCount == references.columnCount, "queries and references differ in features")
        precondition(!leaveOneOut || queries.rowCount == references.rowCount)
        let available = references.rowCount - (leaveOneOut ? 1 : 0)
        precondition(ks.allSatisfy { $0 >= 1 && $0 <= available }, "k must lie in 1...\(available)")
        let nq = queries.rowCount
        let heaps = NeighborHeaps(queries: nq, sizes: ks.map { $0 + (leaveOneOut ? 1 : 0) }, rule: rule)
        defer { heaps.deallocate() }
        if nq > 0 && !ks.isEmpty {
            let qNorms = queries.squaredNorms(), rNorms = references.squaredNorms()
            let blocks = (nq + blockSize - 1) / blockSize
            let columns = queries.columnCount
            queries.indptr.withUnsafeBufferPointer { qp in
            queries.indices.withUnsafeBufferPointer { qi in
            queries.values.withUnsafeBufferPointer { qv in
            references.indptr.withUnsafeBufferPointer { rp in
            references.indices.withUnsafeBufferPointer { ri in
            references.values.withUnsafeBufferPointer { rv in
            qNorms.withUnsafeBufferPointer { qn in
            rNorms.withUnsafeBufferPointer { rn in
                let dummyIndex = UnsafePointer<Int32>(bitPattern: 8)!, dummyValue = UnsafePointer<Double>(bitPattern: 8)!
                let input = KernelInput(qp: qp.baseAddress!, qi: qi.baseAddress ?? dummyIndex, qv: qv.baseAddress ?? dummyValue,
                                        rp: rp.baseAddress!, ri: ri.baseAddress ?? dummyIndex, rv: rv.baseAddress ?? dummyValue,
                                        qn: qn.baseAddress!, rn: rn.baseAddress!, references: references.rowCount,
                                        queries: nq, columns: columns)
                Parallel.forEachRange(blocks, threads: threads) { _, range in
                    let buffer = UnsafeMutablePointer<Double>.allocate(capacity: max(1, columns * blockSize))
                    buffer.initialize(repeating: 0, count: max(1, columns * blockSize))
                    let dots = UnsafeMutablePointer<Double>.allocate(capacity: referenceChunk * blockSize)
                    defer { buffer.deallocate(); dots.deallocate() }
                    for b in range { runBlock(b, input, buffer, dots, heaps) }
                }
            }}}}}}}}
        }
        return ks.indices.map { leaveOneOut ? heaps.leaveOneOutLists($0, transform: { $0.squareRoot() }) : heaps.lists($0, transform: { $0.squareRoot() }) }
    }

    struct KernelInput: @unchecked Sendable {
        let qp: UnsafePointer<Int>, qi: UnsafePointer<Int32>, qv: UnsafePointer<Double>
        let rp: UnsafePointer<Int>, ri: UnsafePointer<Int32>, rv: UnsafePointer<Double>
        let qn: UnsafePointer<Double>, rn: UnsafePointer<Double>
        let references: Int, queries: Int, columns: Int
    }

    /// References per call of the dot-product kernel.
    static let referenceChunk = 256

    /// Whether to use the C kernel (AVX-512 or AVX2+FMA) when the CPU has one; tests turn it
    /// off to check the portable Swift path against it.
    nonisolated(unsafe) static var useNativeKernel = true

    /// One block of queries against every reference. `buffer` (columns x blockSize, zero on
    /// entry) holds the block feature-major; it is zeroed again on exit. `dots` holds
    /// `referenceChunk x blockSize` dot products.
    static func runBlock(_ block: Int, _ x: KernelInput, _ buffer: UnsafeMutablePointer<Double>, _ dots: UnsafeMutablePointer<Double>,
                         _ heaps: NeighborHeaps) {
        let q0 = block * blockSize
        let width = min(blockSize, x.queries - q0)
        for lane in 0..<width {
            let q = q0 + lane
            for e in x.qp[q]..<x.qp[q + 1] { buffer[Int(x.qi[e]) * blockSize + lane] = x.qv[e] }
        }
        let raw = UnsafeRawPointer(buffer)
        var r0 = 0
        while r0 < x.references {
            let r1 = min(x.references, r0 + referenceChunk)
            if !(useNativeKernel && c2s_sparse_block_dots(buffer, x.rp, x.ri, x.rv, r0, r1, dots) == 1) {
                for r in r0..<r1 {
                    var acc0 = SIMD8<Double>(), acc1 = SIMD8<Double>()
                    for e in x.rp[r]..<x.rp[r + 1] {
                        let v = SIMD8<Double>(repeating: x.rv[e])
                        let offset = Int(x.ri[e]) * blockSize * MemoryLayout<Double>.stride
                        acc0 += v * raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Double>.self)
                        acc1 += v * raw.loadUnaligned(fromByteOffset: offset + 64, as: SIMD8<Double>.self)
                    }
                    let out = UnsafeMutableRawPointer(dots + (r - r0) * blockSize)
                    out.storeBytes(of: acc0, as: SIMD8<Double>.self)
                    out.storeBytes(of: acc1, toByteOffset: 64, as: SIMD8<Double>.self)
                }
            }
            for r in r0..<r1 {
                let rNorm = x.rn[r]
                let row = dots + (r - r0) * blockSize
                for lane in 0..<width {
                    let q = q0 + lane
                    var d = x.qn[q] + rNorm - 2 * row[lane]
                    if d < 0 { d = 0 }
                    if d < heaps.bound(q) { heaps.offer(q, d, Int32(r)) }
                }
            }
            r0 = r1
        }
        for lane in 0..<width {
            let q = q0 + lane
            for e in x.qp[q]..<x.qp[q + 1] { buffer[Int(x.qi[e]) * blockSize + lane] = 0 }
        }
    }
}
