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
            if let m = merges.get(s.symbols[i], s.symbols[i + 1]) { push(&s.heap, rank: m.rank, position: i) }
        }
        while let top = pop(&s.heap) {
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
            if before >= 0, let p = merges.get(s.symbols[before], s.symbols[pos]) { push(&s.heap, rank: p.rank, position: before) }
            if after >= 0, let q = merges.get(s.symbols[pos], s.symbols[Int(after)]) { push(&s.heap, rank: q.rank, position: pos) }
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

    // A binary min-heap of (rank << 32 | position): ordered by rank, then position.
    @inline(__always)
    private func push(_ heap: inout [UInt64], rank: Int32, position: Int) {
        heap.append(UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(position))
        var c = heap.count - 1
        while c > 0 {
            let parent = (c - 1) >> 1
            if heap[parent] <= heap[c] { break }
            heap.swapAt(parent, c)
            c = parent
        }
    }

    @inline(__always)
    private func pop(_ heap: inout [UInt64]) -> UInt64? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var p = 0
        let n = heap.count
        while true {
            let l = 2 * p + 1
            if l >= n { break }
            var c = l
            if l + 1 < n, heap[l + 1] < heap[l] { c = l + 1 }
            if heap[p] <= heap[c] { break }
            heap.swapAt(p, c)
            p = c
        }
        return top
    }
}
