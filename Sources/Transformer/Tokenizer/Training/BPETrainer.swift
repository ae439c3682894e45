import Foundation

/// Settings of `BPETrainer`.
public struct BPETrainingOptions: Sendable {
    /// Size of the model vocabulary: special tokens + 256 byte symbols + merged tokens. Training
    /// stops earlier when no pair occurs `minFrequency` times. (The C2S paper used 9,609.)
    public var vocabSize = 9609
    /// A pair is merged only if it occurs at least this often in the corpus.
    public var minFrequency = 2
    /// Special tokens, given the first ids (in this order) and matched whole in any text.
    public var specialTokens = ["<|endoftext|>", "<|pad|>"]
    /// Threads for counting words.
    public var workers = ProcessInfo.processInfo.activeProcessorCount

    public init() {}
}

/// Why training could not run (bad options or an unusable corpus).
public struct TokenizerTrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A byte-level BPE trainer, GPT-2 style: the text is split by the ByteLevel pre-tokenizer's
/// GPT-2 pattern, the alphabet is the 256 bytes, and merges are learned by pair frequency.
///
/// The algorithm is the classic fast one (as in `tokenizers`' BpeTrainer): count the distinct
/// pre-tokenized words once (`BPEWordCounts`, all cores; a corpus can be streamed through it a
/// batch at a time), then keep, for every adjacent pair of symbols, its count over the corpus
/// and the list of words it occurs in. Each step takes the best pair from a priority queue
/// (`PairQueue`: highest count, ties to the smaller left id, then the smaller right id),
/// rewrites only the words that contain it, and updates the counts of the pairs those words
/// lose and gain. The merged token gets the next id; within a word, occurrences of the pair are
/// merged left to right.
///
/// Ids: special tokens first, then the 256 byte symbols ordered by their GPT-2 byte-level
/// character (printable ASCII first, as in GPT-2's vocabulary), then merged tokens in the order
/// they were learned. Gene-aware training (`genes`) takes every gene occurrence out of the text
/// before counting, so the merges are learned on the rest only; see `GeneVocabulary`.
public enum BPETrainer {
    /// Trains on `texts` held in memory: `BPEWordCounts` of all of them, then `train(_:)`.
    public static func train(_ texts: [String], options: BPETrainingOptions = BPETrainingOptions(),
                             genes: GeneVocabulary? = nil) throws(TokenizerTrainingError) -> TrainedTokenizer {
        var counts = try BPEWordCounts(options: options, genes: genes)
        counts.add(texts)
        return try train(counts)
    }

    /// Learns the merges from the word counts of a corpus (which may have been streamed).
    public static func train(_ wordCounts: BPEWordCounts) throws(TokenizerTrainingError) -> TrainedTokenizer {
        let options = wordCounts.options, genes = wordCounts.genes
        let specials = options.specialTokens
        let counter = wordCounts.counter
        guard counter.distinctWords > 0 else {
            throw TokenizerTrainingError(genes == nil ? "the corpus has no text to train on" : "the corpus has no text to train on besides gene names")
        }

        // Vocabulary: specials, then the byte alphabet in byte-level character order.
        // `tokens`: each token as spelled in tokenizer.json (byte-level characters; specials as
        // they are); `raw`: the bytes each token stands for.
        var tokens: [[UInt8]] = specials.map { Array($0.utf8) }
        var raw: [[UInt8]] = tokens
        let specialStrings = Set(tokens)
        var idOf: [[UInt8]: Int32] = [:]  // byte-level form of a non-special token -> id
        var byteID = [Int32](repeating: 0, count: 256)
        for b in (0..<256).sorted(by: { ByteUnicode.scalarForByte[$0] < ByteUnicode.scalarForByte[$1] }) {
            byteID[b] = Int32(tokens.count)
            idOf[ByteUnicode.utf8ForByte[b]] = Int32(tokens.count)
            tokens.append(ByteUnicode.utf8ForByte[b])
            raw.append([UInt8(b)])
        }

        var words: [[Int32]] = []
        words.reserveCapacity(counter.distinctWords)
        var wordOccurrences = 0
        for w in 0..<counter.distinctWords {
            words.append(counter.word(w).map { byteID[Int($0)] })
            wordOccurrences += counter.counts[w]
        }
        let counts = counter.counts

        @inline(__always) func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }
        var pairCount: [UInt64: Int] = [:]
        var pairWords: [UInt64: [Int32]] = [:]
        for (w, symbols) in words.enumerated() where symbols.count > 1 {
            for i in 0..<(symbols.count - 1) {
                let p = key(symbols[i], symbols[i + 1])
                pairCount[p, default: 0] += counts[w]
                if pairWords[p]?.last != Int32(w) { pairWords[p, default: []].append(Int32(w)) }
            }
        }
        var queue = PairQueue()
        for (p, c) in pairCount.sorted(by: { $0.key < $1.key }) { queue.push(count: c, pair: p) }

        var merges: [TrainedTokenizer.Merge] = []
        let minimum = max(1, options.minFrequency)
        while tokens.count < options.vocabSize, let top = queue.pop() {
            let live = pairCount[top.pair] ?? 0
            if live != top.count {
                if live > 0 && live < top.count { queue.push(count: live, pair: top.pair) }
                continue
            }
            if live < minimum { break }
            let left = Int32(truncatingIfNeeded: top.pair >> 32), right = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
            let merged = raw[Int(left)] + raw[Int(right)]
            let form = ByteUnicode.encode(merged[...])
            if specialStrings.contains(form) {
                // The merged token would be spelled like a special token: never learn it.
                pairCount[top.pair] = 0
                continue
            }
            let newID: Int32
            if let existing = idOf[form] {
                newID = existing  // another pair already made this string ("ab"+"c" vs "a"+"bc")
            } else {
                newID = Int32(tokens.count)
                idOf[form] = newID
                tokens.append(form)
                raw.append(merged)
            }
            merges.append(TrainedTokenizer.Merge(left: left, right: right, result: newID))

            var affected = pairWords.removeValue(forKey: top.pair) ?? []
            affected.sort()
            var touched = Set<UInt64>()
            var previous: Int32 = -1
            for w32 in affected where w32 != previous {
                previous = w32
                let w = Int(w32)
                let symbols = words[w]
                var found = false
                for i in 0..<(symbols.count - 1) where symbols[i] == left && symbols[i + 1] == right { found = true; break }
                guard found else { continue }
                let c = counts[w]
                for i in 0..<(symbols.count - 1) { pairCount[key(symbols[i], symbols[i + 1])]! -= c }
                var out: [Int32] = []
                out.reserveCapacity(symbols.count - 1)
                var i = 0
                while i < symbols.count {
                    if i + 1 < symbols.count && symbols[i] == left && symbols[i + 1] == right {
                        out.append(newID); i += 2
                    } else {
                        out.append(symbols[i]); i += 1
                    }
                }
                if out.count > 1 {
                    for j in 0..<(out.count - 1) {
                        let p = key(out[j], out[j + 1])
                        pairCount[p, default: 0] += c
                        if out[j] == newID || out[j + 1] == newID {
                            touched.insert(p)
                            if pairWords[p]?.last != w32 { pairWords[p, default: []].append(w32) }
                        }
                    }
                }
                words[w] = out
            }
            pairCount[top.pair] = nil
            for p in touched.sorted() { if let c = pairCount[p], c > 0 { queue.push(count: c, pair: p) } }
        }

        return TrainedTokenizer(modelTokens: tokens, specialTokens: specials, merges: merges, genes: genes,
                                distinctWords: counter.distinctWords, wordOccurrences: wordOccurrences)
    }
}
