import Foundation

/// A sentence (typically a model's output) reduced to genes and positions, as the paper
/// defines post-processing, with the reference's defects fixed.
///
/// - Words are separated by any run of whitespace (the reference splits on single spaces, so a
///   double space made an empty "word").
/// - A word is looked up as it is, then case-insensitively, then with punctuation stripped
///   from both ends (`CD3E.` or `(LYZ),` count; the reference glued the final "." to the
///   last gene).
/// - Every word, valid or not, takes a position: a gene after an unknown word keeps its rank.
/// - A gene listed more than once gets the mean of its positions (the reference used
///   positions in a list that shrank as duplicates were removed).
public struct ParsedSentence: Equatable, Sendable {
    /// Distinct genes in order of first appearance, with their (mean) 0-based positions.
    public var genes: [Int32] = []
    public var positions: [Double] = []
    /// All words, words that are genes (with repeats), and distinct genes.
    public var words = 0
    public var validWords = 0
    public var uniqueGenes: Int { genes.count }
}

public enum SentencePostProcessor {
    /// Bytes stripped from the ends of a word that is not a gene as it stands.
    static let punctuation: Set<UInt8> = Set(".,;:!?\"'`()[]{}<>".utf8)

    /// Word counts of one sentence.
    public struct Counts: Equatable, Sendable {
        public var words = 0
        public var validWords = 0
        public var uniqueGenes = 0
    }

    /// Parses `text` against `lookup`: distinct genes in order of first appearance with their
    /// mean positions.
    public static func parse(_ text: UnsafeBufferPointer<UInt8>, lookup: GeneLookup, scratch: Scratch) -> ParsedSentence {
        scratch.recordOrder = true
        defer { scratch.recordOrder = false }
        let counts = accumulate(text, lookup: lookup, scratch: scratch)
        var result = ParsedSentence()
        result.words = counts.words
        result.validWords = counts.validWords
        for g in scratch.touched {
            result.genes.append(Int32(g))
            result.positions.append(scratch.sum[g] / Double(scratch.count[g]))
        }
        scratch.clear()
        return result
    }

    public static func parse(_ text: String, lookup: GeneLookup) -> ParsedSentence {
        let padded = Array(text.utf8) + [UInt8](repeating: 0, count: GeneLookup.padding)
        return padded.withUnsafeBufferPointer {
            parse(UnsafeBufferPointer(rebasing: $0[0..<(padded.count - GeneLookup.padding)]), lookup: lookup, scratch: Scratch())
        }
    }

    /// Reads the words of `text` into `scratch` (per gene: count and sum of positions) and
    /// returns the word counts. Follow with `drain` (or `Scratch.clear`). `GeneLookup.padding`
    /// bytes after `text` must be readable. Words after the first `maxWords` are ignored.
    public static func accumulate(_ text: UnsafeBufferPointer<UInt8>, lookup: GeneLookup, scratch: Scratch, maxWords: Int = .max) -> Counts {
        var counts = Counts()
        scratch.prepare(lookup.count)
        let count = scratch.count, sum = scratch.sum, bits = scratch.bits
        var i = 0
        let n = text.count
        while i < n, counts.words < maxWords {
            while i < n, isSpace(text[i]) { i += 1 }
            guard i < n else { break }
            let start = i
            while i < n, !isSpace(text[i]) { i += 1 }
            let position = counts.words
            counts.words += 1
            guard let gene = find(UnsafeBufferPointer(rebasing: text[start..<i]), lookup) else { continue }
            counts.validWords += 1
            if count[gene] == 0 {
                if scratch.recordOrder { scratch.touched.append(gene) }
                bits[gene >> 6] |= 1 << UInt64(gene & 63)
                counts.uniqueGenes += 1
            }
            count[gene] += 1
            sum[gene] += Double(position)
        }
        return counts
    }

    /// Appends the accumulated genes in ascending vocabulary order with `model`'s values at
    /// their mean positions (values that are exactly zero are skipped), and clears `scratch`.
    public static func drain(_ scratch: Scratch, model: LinearRankModel, clip: Bool, indices: inout [Int32], values: inout [Float]) {
        drain(scratch, table: ExpressionTable(model: model, clip: clip, size: 0), indices: &indices, values: &values)
    }

    /// `drain` with the model's values at whole positions looked up in `table`.
    public static func drain(_ scratch: Scratch, table: ExpressionTable, indices: inout [Int32], values: inout [Float]) {
        let count = scratch.count, sum = scratch.sum, bits = scratch.bits
        for w in 0..<scratch.words {
            var word = bits[w]
            guard word != 0 else { continue }
            bits[w] = 0
            while word != 0 {
                let gene = w << 6 | word.trailingZeroBitCount
                word &= word - 1
                let v = table.value(atPosition: sum[gene] / Double(count[gene]))
                if v != 0 {
                    indices.append(Int32(gene))
                    values.append(v)
                }
                count[gene] = 0
                sum[gene] = 0
            }
        }
        scratch.touched.removeAll(keepingCapacity: true)
    }

    /// A model's values at positions 0, 1, 2, ... precomputed (most genes sit at a whole
    /// position), falling back to the formula for mean positions and beyond the table.
    public struct ExpressionTable: Sendable {
        public let model: LinearRankModel
        public let clip: Bool
        let values: [Float]

        public init(model: LinearRankModel, clip: Bool, size: Int = 1 << 16) {
            self.model = model
            self.clip = clip
            values = (0..<size).map { Float(model.expression(atPosition: Double($0), clip: clip)) }
        }

        @inline(__always) public func value(atPosition p: Double) -> Float {
            let i = Int(p)
            if Double(i) == p && i < values.count { return values[i] }
            return Float(model.expression(atPosition: p, clip: clip))
        }
    }

    /// Whether `c` separates words (ASCII whitespace).
    @inline(__always) public static func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

    /// The vocabulary index of one word, matched as post-processing matches words: as it is,
    /// then ignoring case, then without punctuation at its ends. `GeneLookup.padding` bytes
    /// after the word must be readable.
    public static func find(_ word: UnsafeBufferPointer<UInt8>, _ lookup: GeneLookup) -> Int? {
        if let g = lookup.index(of: word) { return g }
        var lo = 0, hi = word.count
        while lo < hi, punctuation.contains(word[lo]) { lo += 1 }
        while hi > lo, punctuation.contains(word[hi - 1]) { hi -= 1 }
        guard lo < hi, lo > 0 || hi < word.count else { return nil }
        return lookup.index(of: UnsafeBufferPointer(rebasing: word[lo..<hi]))
    }

    /// Per-thread buffers sized to the vocabulary (raw memory: these are touched once per word).
    public final class Scratch {
        var count = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        var sum = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        var bits = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        var capacity = 0
        var words = 0
        /// Whether to record genes in order of first appearance (for `parse`).
        var recordOrder = false
        var touched: [Int] = []

        public init() {}

        func prepare(_ n: Int) {
            guard capacity < n else { return }
            count.deallocate(); sum.deallocate(); bits.deallocate()
            capacity = n
            words = (n + 63) / 64
            count = .allocate(capacity: n); count.initialize(repeating: 0, count: n)
            sum = .allocate(capacity: n); sum.initialize(repeating: 0, count: n)
            bits = .allocate(capacity: words); bits.initialize(repeating: 0, count: words)
        }

        /// Zeroes what a `parse` (which records the genes it touched) left behind.
        func clear() {
            for g in touched { count[g] = 0; sum[g] = 0; bits[g >> 6] = 0 }
            touched.removeAll(keepingCapacity: true)
        }

        deinit {
            count.deallocate(); sum.deallocate(); bits.deallocate()
        }
    }
}
