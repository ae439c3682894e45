import CellSentences
import Foundation
import SingleCell

/// One cell of a sentence dataset as the prompt builders see it.
public struct CellRecord: Sendable, Equatable {
    /// The cell's name (unique within a dataset).
    public var name: String
    /// The full cell sentence (gene names separated by single spaces, highest expression first).
    public var sentence: String
    /// The cell's metadata columns as text; a missing value is absent from the dictionary.
    public var fields: [String: String]
    /// Number of genes in `sentence` (counted once, so `topGenes` need not rescan short sentences).
    public let geneCount: Int

    /// A record whose sentence has `geneCount` genes (the caller counted them).
    init(name: String, sentence: String, fields: [String: String], geneCount: Int) {
        self.name = name
        self.sentence = sentence
        self.fields = fields
        self.geneCount = geneCount
    }

    public init(name: String, sentence: String, fields: [String: String] = [:]) {
        self.name = name
        self.sentence = sentence
        self.fields = fields
        var copy = sentence
        geneCount = copy.withUTF8 { b in
            var n = 0, inWord = false
            for c in b { if c == 32 { inWord = false } else if !inWord { inWord = true; n += 1 } }
            return n
        }
    }

    /// The first `k` genes of the sentence and how many that is (never more than the sentence has).
    public func topGenes(_ k: Int) -> (text: Substring, count: Int) {
        guard k > 0 else { return ("", 0) }
        if k >= geneCount { return (sentence[...], geneCount) }
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
        let utf8 = sentence.utf8
        let stop = utf8.index(utf8.startIndex, offsetBy: total)
        return (sentence[..<stop], count)
    }
}
