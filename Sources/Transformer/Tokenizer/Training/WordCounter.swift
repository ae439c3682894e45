import Foundation
import Mechanics

/// The first pass of BPE training: every training text is cut the way the finished tokenizer
/// will cut it before its model runs (added tokens such as special tokens and gene names are
/// taken out whole, the rest is split by the GPT-2 pattern of the ByteLevel pre-tokenizer) and
/// the distinct words are counted. Merges are then learned on (word, count) pairs, never on
/// the text again, which is what makes training fast: a C2S corpus of millions of gene words
/// has only tens of thousands of distinct pre-tokenized words.
///
/// Texts come in batches (a corpus is streamed, never held whole). Each batch is split into one
/// contiguous block per worker; each worker counts into its own table and the tables are
/// combined in block order, so the result (including the order of first appearance) depends
/// neither on the number of workers nor on how the corpus was cut into batches.
struct WordCounter {
    private var arena: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var hashes: [UInt64] = []
    /// Occurrences of each distinct word, in order of first appearance.
    private(set) var counts: [Int] = []
    private var slots: [Int32] = [Int32](repeating: -1, count: 1024)

    var distinctWords: Int { counts.count }

    /// The bytes of word `i`.
    func word(_ i: Int) -> ArraySlice<UInt8> { arena[Int(starts[i])..<Int(starts[i] + lengths[i])] }

    /// Adds `count` occurrences of `word`.
    mutating func add(_ word: UnsafeBufferPointer<UInt8>, count: Int = 1) {
        add(word, hash: hashBytes(word), count: count)
    }

    private mutating func add(_ word: UnsafeBufferPointer<UInt8>, hash h: UInt64, count: Int) {
        if (counts.count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { break }
            if hashes[e] == h && equals(e, word) { counts[e] += count; return }
            s = (s + 1) & mask
        }
        slots[s] = Int32(counts.count)
        starts.append(Int32(arena.count)); lengths.append(Int32(word.count))
        arena.append(contentsOf: word); hashes.append(h); counts.append(count)
    }

    private func equals(_ e: Int, _ word: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Int(lengths[e]) == word.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            word.count == 0 || memcmp(a.baseAddress! + Int(starts[e]), word.baseAddress!, word.count) == 0
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for e in 0..<hashes.count {
            var s = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(e)
        }
    }

    /// Adds every word of `other` with its count (words new to `self` keep `other`'s order).
    mutating func absorb(_ other: WordCounter) {
        other.arena.withUnsafeBufferPointer { a in
            for e in 0..<other.counts.count {
                let w = UnsafeBufferPointer(rebasing: a[Int(other.starts[e])..<Int(other.starts[e] + other.lengths[e])])
                add(w, hash: other.hashes[e], count: other.counts[e])
            }
        }
    }

    /// Counts the pre-tokenized words of `text`, skipping the spans that `addedTokens` matches.
    /// Returns the number of added-token occurrences that were skipped.
    @discardableResult
    mutating func addText(_ text: String, addedTokens: AddedTokenMatcher) -> Int {
        var bytes = Array(text.utf8)
        var segments: [(start: Int, end: Int, id: Int32)] = []
        var skipped = 0
        bytes.withUnsafeMutableBufferPointer { m in
            let p = UnsafeBufferPointer(m)
            addedTokens.split(p, into: &segments)
            for segment in segments {
                if segment.id >= 0 { skipped += 1; continue }
                let piece = UnsafeBufferPointer(rebasing: p[segment.start..<segment.end])
                ByteLevelSplit.forEachMatch(piece) { r in add(UnsafeBufferPointer(rebasing: piece[r])) }
            }
        }
        return skipped
    }

    /// Counts the words of all `texts` with up to `workers` threads, as if they were added one
    /// after the other: words new to `self` are added in their order of first appearance, so
    /// counting a corpus in batches gives the table that counting it at once gives.
    mutating func add(_ texts: [String], addedTokens: AddedTokenMatcher, workers: Int) {
        let workers = max(1, min(workers, texts.count / 64))
        guard workers > 1 else {
            for text in texts { addText(text, addedTokens: addedTokens) }
            return
        }
        var parts = [WordCounter](repeating: WordCounter(), count: workers)
        parts.withUnsafeMutableBufferPointer { buffer in
            let out = SendablePointer(buffer.baseAddress!)
            // `workers` <= texts.count / 64, so there is one range per worker.
            Parallel.forEachRange(texts.count, threads: workers) { w, range in
                var counter = WordCounter()
                for i in range { counter.addText(texts[i], addedTokens: addedTokens) }
                out[w] = counter
            }
        }
        if counts.isEmpty {
            self = parts[0]
            for part in parts.dropFirst() { absorb(part) }
        } else {
            for part in parts { absorb(part) }
        }
    }
}
