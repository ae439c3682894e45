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

    public init(name: String, sentence: String, fields: [String: String] = [:]) {
        self.name = name
        self.sentence = sentence
        self.fields = fields
    }

    /// The first `k` genes of the sentence and how many that is (never more than the sentence has).
    public func topGenes(_ k: Int) -> (text: Substring, count: Int) {
        guard k > 0 else { return ("", 0) }
        var count = 0
        var end = sentence.startIndex
        var i = sentence.startIndex
        var inWord = false
        while i < sentence.endIndex {
            if sentence[i] == " " {
                if inWord { count += 1; end = i; inWord = false; if count == k { return (sentence[..<end], count) } }
            } else {
                inWord = true
            }
            i = sentence.index(after: i)
        }
        if inWord { count += 1; end = sentence.endIndex }
        return (sentence[..<end], count)
    }
}
