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

    /// Distances from one query to all references, eight references per SIMD pass.
    struct DistanceRows: @unchecked Sendable {
        let queries: TokenSequences
        let references: TokenSequences
        let symbols: Int

        func compute(_ q: Int, masks: EditDistance.PatternMasks, into row: inout [Int]) {
            let pattern = queries.sequence(q)
            let m = pattern.count
            let nr = references.count
            guard m > 0 else {
                for r in 0..<nr { row[r] = references.offsets[r + 1] - references.offsets[r] }
                return
            }
            masks.load(pattern)
            let words = masks.words
            let lastBit = UInt64((m - 1) & 63)
            let vp = UnsafeMutablePointer<SIMD8<UInt64>>.allocate(capacity: words)
            let vn = UnsafeMutablePointer<SIMD8<UInt64>>.allocate(capacity: words)
            defer { vp.deallocate(); vn.deallocate() }
            let table = masks.masks
            references.tokens.withUnsafeBufferPointer { tokens in
            references.offsets.withUnsafeBufferPointer { offsets in
                var r0 = 0
                while r0 < nr {
                    let lanes = min(8, nr - r0)
                    var start = SIMD8<Int>(repeating: 0), length = SIMD8<Int>(repeating: 0)
                    var longest = 0
                    for l in 0..<lanes {
                        start[l] = offsets[r0 + l]
                        length[l] = offsets[r0 + l + 1] - offsets[r0 + l]
                        longest = max(longest, length[l])
                    }
                    for w in 0..<words { vp[w] = SIMD8(repeating: ~0); vn[w] = SIMD8() }
                    var score = SIMD8<Int64>(repeating: Int64(m))
                    var final = SIMD8<Int64>(repeating: Int64(m))  // empty references stay at m
                    for t in 0..<longest {
                        var symbol = SIMD8<Int32>(repeating: -1)
                        for l in 0..<lanes where t < length[l] { symbol[l] = tokens[start[l] + t] }
                        var hpCarry = SIMD8<UInt64>(repeating: 1), hnCarry = SIMD8<UInt64>()
                        for w in 0..<words {
                            var pm = SIMD8<UInt64>()
                            for l in 0..<8 where symbol[l] >= 0 { pm[l] = table[Int(symbol[l]) * words + w] }
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
                        for l in 0..<lanes where length[l] == t + 1 { final[l] = score[l] }
                    }
                    for l in 0..<lanes { row[r0 + l] = Int(final[l]) }
                    r0 += lanes
                }
            }}
            masks.reset()
        }
    }
}
