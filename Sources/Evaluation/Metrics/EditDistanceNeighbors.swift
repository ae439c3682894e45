import CEvaluationKernels
import Mechanics
import SingleCell

/// Exact k-nearest-neighbour search by edit distance between token sequences (sentence space).
///
/// Each query is loaded once as the bit-parallel pattern of ``EditDistance``; references are
/// then scanned eight at a time, one per lane of a `SIMD8<UInt64>`, so one pass over the
/// longest of eight references advances eight distances. Queries are spread over threads;
/// references are offered in index order, so ties follow ``NeighborTieRule``.
public enum EditDistanceNeighbors {
    /// For each k in `ks`, the k nearest `references` of every query, ties kept by `rule`
    /// (see ``EuclideanNeighbors/search(queries:references:ks:rule:leaveOneOut:threads:)`` for
    /// `leaveOneOut`). Tokens must lie below `symbols` (or be -1).
    public static func search(queries: TokenSequences, references: TokenSequences, symbols: Int, ks: [Int],
                              rule: NeighborTieRule = .lowerIndex, leaveOneOut: Bool = false,
                              threads: Int = Parallel.defaultThreads) -> [NeighborLists] {
        precondition(!leaveOneOut || queries.count == references.count)
        let available = references.count - (leaveOneOut ? 1 : 0)
        precondition(ks.allSatisfy { $0 >= 1 && $0 <= available }, "k must lie in 1...\(available)")
        let nq = queries.count
        let heaps = NeighborHeaps(queries: nq, sizes: ks.map { $0 + (leaveOneOut ? 1 : 0) }, rule: rule)
        defer { heaps.deallocate() }
        if nq > 0 && !ks.isEmpty {
            let distances = DistanceRows(queries: queries, references: references, symbols: symbols)
            Parallel.forEachRange(nq, threads: threads) { _, range in
                let masks = EditDistance.PatternMasks(symbols: max(1, symbols))
                var row = [Int](repeating: 0, count: references.count)
                for q in range {
                    distances.compute(q, masks: masks, into: &row)
                    for r in 0..<references.count {
                        let d = Double(row[r])
                        if d < heaps.bound(q) { heaps.offer(q, d, Int32(r)) }
                    }
                }
            }
        }
        return ks.indices.map { leaveOneOut ? heaps.leaveOneOutLists($0) : heaps.lists($0) }
    }

    /// Whether to use the C kernel (AVX-512 or AVX2) when the CPU has one; tests turn it off
    /// to check the portable Swift path against it.
    nonisolated(unsafe) static var useNativeKernel = true

    /// The vector path the C kernel takes on this CPU ("avx512", "avx2" or "none").
    public static var nativeKernelPath: String { String(cString: c2s_edit_distance_path()) }

    /// Every edit distance between `queries` and `references` (row-major, queries as rows).
    public static func matrix(queries: TokenSequences, references: TokenSequences, symbols: Int,
                              threads: Int = Parallel.defaultThreads) -> [Int] {
        let nr = references.count
        var out = [Int](repeating: 0, count: queries.count * nr)
        let rows = DistanceRows(queries: queries, references: references, symbols: symbols)
        out.withUnsafeMutableBufferPointer { buffer in
            let base = SendablePointer(buffer.baseAddress!)
            Parallel.forEachRange(queries.count, threads: threads) { _, range in
                let masks = EditDistance.PatternMasks(symbols: max(1, symbols))
                var row = [Int](repeating: 0, count: nr)
                for q in range {
                    rows.compute(q, masks: masks, into: &row)
                    for r in 0..<nr { base[q * nr + r] = row[r] }
                }
            }
        }
        return out
    }

    /// Distances from one query to all references, eight references per SIMD pass. The
    /// references are laid out once, eight at a time, position by position (one `SIMD8<Int32>`
    /// of symbols per step, -1 replaced by the masks' all-zero row), so the inner loop loads
    /// symbols without branches.
    final class DistanceRows: @unchecked Sendable {
        let queries: TokenSequences
        let referenceCount: Int
        let symbols: Int
        /// Per group of eight references: start of its steps in `steps`, its longest length.
        let groupStart: [Int]
        let groupLongest: [Int]
        let lengths: [SIMD8<Int64>]
        let steps: UnsafeMutablePointer<SIMD8<Int32>>

        init(queries: TokenSequences, references: TokenSequences, symbols: Int) {
            self.queries = queries
            self.symbols = symbols
            referenceCount = references.count
            let groups = (references.count + 7) / 8
            var starts: [Int] = [], longest: [Int] = [], lengths: [SIMD8<Int64>] = []
            var total = 0
            for g in 0..<groups {
                var length = SIMD8<Int64>(repeating: -1)  // empty lanes never capture a score
                var most = 0
                for l in 0..<8 where g * 8 + l < references.count {
                    let n = references.offsets[g * 8 + l + 1] - references.offsets[g * 8 + l]
                    length[l] = Int64(n)
                    most = max(most, n)
                }
                starts.append(total); longest.append(most); lengths.append(length)
                total += most
            }
            groupStart = starts; groupLongest = longest; self.lengths = lengths
            steps = .allocate(capacity: max(1, total))
            let zeroRow = Int32(symbols)
            for g in 0..<groups {
                for t in 0..<longest[g] {
                    var v = SIMD8<Int32>(repeating: zeroRow)
                    for l in 0..<8 where g * 8 + l < references.count {
                        let r = g * 8 + l
                        if t < references.offsets[r + 1] - references.offsets[r] {
                            let token = references.tokens[references.offsets[r] + t]
                            v[l] = token < 0 ? zeroRow : token
                        }
                    }
                    steps[starts[g] + t] = v
                }
            }
        }

        deinit { steps.deallocate() }

        func compute(_ q: Int, masks: EditDistance.PatternMasks, into row: inout [Int]) {
            let pattern = queries.sequence(q)
            let m = pattern.count
            let nr = referenceCount
            guard m > 0 else {
                for g in 0..<groupStart.count {
                    for l in 0..<8 where g * 8 + l < nr { row[g * 8 + l] = Int(lengths[g][l]) }
                }
                return
            }
            masks.load(pattern)
            defer { masks.reset() }
            let words = masks.words
            if EditDistanceNeighbors.useNativeKernel && (symbols + 1) * words < Int(Int32.max) {
                let groups = groupStart.count
                let out = UnsafeMutablePointer<Int64>.allocate(capacity: max(1, groups * 8))
                let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 16 * words)
                defer { out.deallocate(); scratch.deallocate() }
                let done = lengths.withUnsafeBytes { lengthBytes in
                    c2s_edit_distance_groups(masks.masks, words, m, UnsafeRawPointer(steps).assumingMemoryBound(to: Int32.self),
                                             groupStart, groupLongest, lengthBytes.baseAddress!.assumingMemoryBound(to: Int64.self),
                                             groups, out, scratch)
                }
                if done == 1 {
                    for r in 0..<nr { row[r] = Int(out[r]) }
                    return
                }
            }
            let lastBit = UInt64((m - 1) & 63)
            let vp = UnsafeMutablePointer<SIMD8<UInt64>>.allocate(capacity: words)
            let vn = UnsafeMutablePointer<SIMD8<UInt64>>.allocate(capacity: words)
            defer { vp.deallocate(); vn.deallocate() }
            let table = masks.masks
            for g in 0..<groupStart.count {
                for w in 0..<words { vp[w] = SIMD8(repeating: ~0); vn[w] = SIMD8() }
                var score = SIMD8<Int64>(repeating: Int64(m))
                let length = lengths[g]
                var final = SIMD8<Int64>(repeating: Int64(m))  // references of length 0
                let base = steps + groupStart[g]
                for t in 0..<groupLongest[g] {
                    let symbol = base[t]
                    let i0 = Int(symbol[0]) * words, i1 = Int(symbol[1]) * words, i2 = Int(symbol[2]) * words, i3 = Int(symbol[3]) * words
                    let i4 = Int(symbol[4]) * words, i5 = Int(symbol[5]) * words, i6 = Int(symbol[6]) * words, i7 = Int(symbol[7]) * words
                    var hpCarry = SIMD8<UInt64>(repeating: 1), hnCarry = SIMD8<UInt64>()
                    for w in 0..<words {
                        let pm = SIMD8<UInt64>(table[i0 + w], table[i1 + w], table[i2 + w], table[i3 + w],
                                               table[i4 + w], table[i5 + w], table[i6 + w], table[i7 + w])
                        let x = pm | hnCarry
                        let v = vp[w], n = vn[w]
                        let d0 = (((x & v) &+ v) ^ v) | x | n
                        var hp = n | ~(d0 | v)
                        var hn = d0 & v
                        let outHp: SIMD8<UInt64>, outHn: SIMD8<UInt64>
                        if w < words - 1 {
                            outHp = hp &>> 63; outHn = hn &>> 63
                        } else {
                            outHp = (hp &>> lastBit) & 1; outHn = (hn &>> lastBit) & 1
                        }
                        hp = (hp &<< 1) | hpCarry
                        hn = (hn &<< 1) | hnCarry
                        vp[w] = hn | ~(d0 | hp)
                        vn[w] = hp & d0
                        hpCarry = outHp; hnCarry = outHn
                    }
                    score &+= SIMD8<Int64>(truncatingIfNeeded: hpCarry) &- SIMD8<Int64>(truncatingIfNeeded: hnCarry)
                    final.replace(with: score, where: length .== Int64(t + 1))
                }
                for l in 0..<8 where g * 8 + l < nr { row[g * 8 + l] = Int(final[l]) }
            }
        }
    }
}
