import CellSentences

/// Cell sentences as sequences of gene ids, the input of edit distances.
///
/// Ids index one shared gene list (usually the real data's genes); -1 marks a word that is no
/// gene of that list, and it equals nothing, not even another -1, so an invalid word always
/// costs an edit.
public struct TokenSequences: Sendable {
    /// All sequences back to back.
    public let tokens: [Int32]
    /// Sequence `i` is `tokens[offsets[i]..<offsets[i + 1]]`.
    public let offsets: [Int]

    public init(tokens: [Int32], offsets: [Int]) {
        precondition(offsets.first == 0 && offsets.last == tokens.count)
        self.tokens = tokens
        self.offsets = offsets
    }

    public var count: Int { offsets.count - 1 }

    public func sequence(_ i: Int) -> ArraySlice<Int32> { tokens[offsets[i]..<offsets[i + 1]] }

    /// The sequences at `rows`, in that order.
    public func selecting(_ rows: [Int]) -> TokenSequences {
        var t: [Int32] = [], o = [0]
        for r in rows { t.append(contentsOf: sequence(r)); o.append(t.count) }
        return TokenSequences(tokens: t, offsets: o)
    }

    /// The first `limit` words of each sentence (words are separated by whitespace), each
    /// matched to `lookup` as sentence post-processing matches words (as it is, ignoring case,
    /// then without punctuation at its ends); unmatched words become -1 and keep their place.
    public static func words(of sentences: [String], lookup: GeneLookup, limit: Int) -> TokenSequences {
        var tokens: [Int32] = [], offsets = [0]
        var padded: [UInt8] = []
        for sentence in sentences {
            padded.removeAll(keepingCapacity: true)
            padded.append(contentsOf: sentence.utf8)
            let n = padded.count
            padded.append(contentsOf: repeatElement(0, count: GeneLookup.padding))
            padded.withUnsafeBufferPointer { text in
                var i = 0, taken = 0
                while i < n && taken < limit {
                    while i < n, SentencePostProcessor.isSpace(text[i]) { i += 1 }
                    guard i < n else { break }
                    let start = i
                    while i < n, !SentencePostProcessor.isSpace(text[i]) { i += 1 }
                    let gene = SentencePostProcessor.find(UnsafeBufferPointer(rebasing: text[start..<i]), lookup)
                    tokens.append(gene.map { Int32($0) } ?? -1)
                    taken += 1
                }
            }
            offsets.append(tokens.count)
        }
        return TokenSequences(tokens: tokens, offsets: offsets)
    }

    /// The sentence of each row of an expression matrix: its genes with a value > 0 in
    /// descending order of value, equal values in ascending column order, the first `limit`
    /// kept; column `c` becomes id `ids[c]` (-1 when the gene is not in the shared list).
    public static func ranking(_ rows: FeatureRows, ids: [Int32], limit: Int) -> TokenSequences {
        precondition(ids.count == rows.columnCount)
        var tokens: [Int32] = [], offsets = [0]
        var entries: [(Double, Int32)] = []
        for r in 0..<rows.rowCount {
            entries.removeAll(keepingCapacity: true)
            for e in rows.indptr[r]..<rows.indptr[r + 1] where rows.values[e] > 0 {
                entries.append((rows.values[e], rows.indices[e]))
            }
            entries.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            for (_, c) in entries.prefix(limit) { tokens.append(ids[Int(c)]) }
            offsets.append(tokens.count)
        }
        return TokenSequences(tokens: tokens, offsets: offsets)
    }
}
