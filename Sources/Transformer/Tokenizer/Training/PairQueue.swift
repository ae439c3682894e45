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
    struct Entry: Comparable {
        var count: Int
        /// `left << 32 | right`: comparing keys compares (left, right) lexicographically.
        var pair: UInt64

        /// "Comes out first": the min-heap's order is the trainer's preference.
        static func < (a: Entry, b: Entry) -> Bool {
            a.count != b.count ? a.count > b.count : a.pair < b.pair
        }
    }

    private var heap = BinaryHeap<Entry>()

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(count: Int, pair: UInt64) { heap.push(Entry(count: count, pair: pair)) }

    mutating func pop() -> Entry? { heap.pop() }
}
