/// The priority queue of BPE training: candidate merges (a pair of token ids and how often the
/// pair occurs in the corpus), best first.
///
/// Order — this is the trainer's tie-breaking rule, and it makes training deterministic:
/// the higher count first; among equal counts, the smaller left id, then the smaller right id.
/// Ids are assigned deterministically (special tokens, then the 256 byte symbols in the order of
/// their GPT-2 characters, then merged tokens in the order they are created), so the same corpus
/// always gives the same merges, whatever the hash seeds or the number of threads. (`tokenizers`'
/// BpeTrainer uses the same rule.)
///
/// Entries are not updated in place: when a pair's count drops, its old entry stays and is
/// recognised as stale when it reaches the top (the trainer compares it with the live count).
struct PairQueue {
    struct Entry {
        var count: Int
        /// `left << 32 | right`: comparing keys compares (left, right) lexicographically.
        var pair: UInt64
    }

    private var heap: [Entry] = []

    var isEmpty: Bool { heap.isEmpty }

    @inline(__always)
    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.count != b.count ? a.count > b.count : a.pair < b.pair
    }

    mutating func push(count: Int, pair: UInt64) {
        heap.append(Entry(count: count, pair: pair))
        var c = heap.count - 1
        while c > 0 {
            let parent = (c - 1) >> 1
            guard Self.before(heap[c], heap[parent]) else { break }
            heap.swapAt(parent, c)
            c = parent
        }
    }

    mutating func pop() -> Entry? {
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
            if l + 1 < n, Self.before(heap[l + 1], heap[l]) { c = l + 1 }
            guard Self.before(heap[c], heap[p]) else { break }
            heap.swapAt(p, c)
            p = c
        }
        return top
    }
}
