/// The merge loop of BPE: repeatedly merge the adjacent pair with the lowest rank (leftmost
/// first among equal ranks), as `Word::merge_all` of `tokenizers` does with its priority queue.
extension BPEModel {
    func merge(_ s: EncodeScratch) {
        let n = s.symbols.count
        guard n > 1 else { return }
        s.prev.removeAll(keepingCapacity: true)
        s.next.removeAll(keepingCapacity: true)
        s.alive.removeAll(keepingCapacity: true)
        s.heap.removeAll(keepingCapacity: true)
        for i in 0..<n {
            s.prev.append(Int32(i - 1))
            s.next.append(i + 1 < n ? Int32(i + 1) : -1)
            s.alive.append(true)
        }
        for i in 0..<(n - 1) {
            if let m = merges.get(s.symbols[i], s.symbols[i + 1]) { s.heap.push(Self.entry(rank: m.rank, position: i)) }
        }
        while let top = s.heap.pop() {
            let rank = Int32(truncatingIfNeeded: top >> 32)
            let pos = Int(top & 0xFFFF_FFFF)
            guard s.alive[pos] else { continue }
            let right = Int(s.next[pos])
            guard right >= 0 else { continue }
            // A stale entry: the pair at `pos` changed since it was queued.
            guard let m = merges.get(s.symbols[pos], s.symbols[right]), m.rank == rank else { continue }
            s.symbols[pos] = m.result
            s.alive[right] = false
            let after = s.next[right]
            s.next[pos] = after
            if after >= 0 { s.prev[Int(after)] = Int32(pos) }
            let before = Int(s.prev[pos])
            if before >= 0, let p = merges.get(s.symbols[before], s.symbols[pos]) { s.heap.push(Self.entry(rank: p.rank, position: before)) }
            if after >= 0, let q = merges.get(s.symbols[pos], s.symbols[Int(after)]) { s.heap.push(Self.entry(rank: q.rank, position: pos)) }
        }
        var write = 0
        var i = 0
        while i >= 0 {
            s.symbols[write] = s.symbols[i]
            write += 1
            i = Int(s.next[i])
        }
        s.symbols.removeSubrange(write...)
    }

    /// Heap entries `rank << 32 | position`: the smallest is the lowest rank, then leftmost.
    @inline(__always)
    private static func entry(rank: Int32, position: Int) -> UInt64 {
        UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(position)
    }
}
