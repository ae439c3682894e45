import Foundation
import SingleCell

/// One cell of a sentence dataset as the prompt builders see it.
public struct CellRecord: Sendable, Equatable {
    /// The cell's name (unique within a dataset).
    public var name: String
    /// The full cell sentence (gene names separated by single spaces, highest expression first).
    /// (Constant, since `geneCount` and `sentenceIsPlain` describe it.)
    public let sentence: String
    /// The cell's metadata columns as text; a missing value is absent from the dictionary.
    public var fields: [String: String]
    /// Number of genes in `sentence` (counted once, so `topGenes` need not rescan short sentences).
    public let geneCount: Int
    /// Whether every byte of `sentence` is printable ASCII other than `"` and `\`: it is then
    /// copied into JSON as it is, and its UTF-8 offsets are also code-point offsets.
    public let sentenceIsPlain: Bool

    /// A record whose sentence has `geneCount` genes and plainness `sentenceIsPlain` (the caller
    /// measured both while scanning the sentence).
    init(name: String, sentence: String, fields: [String: String], geneCount: Int, sentenceIsPlain: Bool) {
        self.name = name
        self.sentence = sentence
        self.fields = fields
        self.geneCount = geneCount
        self.sentenceIsPlain = sentenceIsPlain
    }

    public init(name: String, sentence: String, fields: [String: String] = [:]) {
        self.name = name
        self.sentence = sentence
        self.fields = fields
        var copy = sentence
        (geneCount, sentenceIsPlain) = copy.withUTF8 { b in
            var n = 0, inWord = false, plain = true
            for c in b {
                plain = plain && Self.isPlain(c)
                if c == 32 { inWord = false } else if !inWord { inWord = true; n += 1 }
            }
            return (n, plain)
        }
    }

    /// Printable ASCII that JSON does not escape (see `sentenceIsPlain`).
    @inline(__always) static func isPlain(_ b: UInt8) -> Bool { b >= 32 && b < 128 && b != 34 && b != 92 }

    /// The first `k` genes of the sentence and how many that is (never more than the sentence has).
    public func topGenes(_ k: Int) -> (text: Substring, count: Int) {
        let (bytes, count) = topGeneBytes(k)
        if bytes == sentence.utf8.count { return (sentence[...], count) }
        let utf8 = sentence.utf8
        return (sentence[..<utf8.index(utf8.startIndex, offsetBy: bytes)], count)
    }

    /// As `topGenes`, but the length of the text in UTF-8 bytes (a prefix of `sentence`).
    public func topGeneBytes(_ k: Int) -> (bytes: Int, count: Int) {
        guard k > 0 else { return (0, 0) }
        if k >= geneCount { return (sentence.utf8.count, geneCount) }
        var count = 0
        var end = 0
        var inWord = false
        // Byte scan: gene names are separated by single ASCII spaces.
        var copy = sentence
        let total = copy.withUTF8 { bytes -> Int in
            for i in 0..<bytes.count {
                if bytes[i] == 32 {
                    if inWord {
                        count += 1; end = i; inWord = false
                        if count == k { return i }
                    }
                } else {
                    inWord = true
                }
            }
            if inWord { count += 1; end = bytes.count }
            return end
        }
        return (total, count)
    }
}
