import Foundation
import SingleCell
import Transformer

/// The model's gene vocabulary as token sequences, for decoding that can only write genes.
///
/// Each gene is tokenised as it appears in running text, `" " + gene` (no special tokens), and
/// the list becomes a `UniqueWordConstraint`: every generated word is a gene of the vocabulary
/// and none repeats, by construction. Genes whose tokenisations coincide (which a tokenizer
/// that cannot tell them apart would make) are kept once, the first in vocabulary order.
public struct GeneWords: Sendable {
    public let constraint: UniqueWordConstraint
    /// Genes in the constraint, in vocabulary order.
    public let genes: [String]
    /// Genes left out because an earlier gene has the same tokens.
    public let duplicates: [String]

    public init(genes: [String], model: C2SModel) throws {
        var seen = Set<[Int32]>()
        var kept: [String] = [], words: [[Int32]] = [], duplicates: [String] = []
        for (gene, ids) in zip(genes, model.tokenizer.encodeBatch(genes.map { " " + $0 }, addSpecialTokens: false)) {
            if ids.isEmpty { continue }
            if seen.insert(ids).inserted {
                kept.append(gene)
                words.append(ids)
            } else {
                duplicates.append(gene)
            }
        }
        guard !words.isEmpty else { throw DataError("the model's vocabulary has no genes to generate") }
        constraint = try UniqueWordConstraint(words: words, endTokens: model.stopTokens)
        self.genes = kept
        self.duplicates = duplicates
    }
}

/// Which tokens begin a new word: those whose text starts with a space (byte-level BPE's "Ġ",
/// SentencePiece's "▁", or a literal space, as gene-aware tokenizers' " GENE" tokens do).
/// Used to stop generation once a sentence has the genes asked for.
public struct WordStarts: Sendable {
    let isStart: [Bool]

    public init(tokenizer: Tokenizer, vocabularySize: Int) {
        isStart = (0..<vocabularySize).map { id in
            guard let text = tokenizer.token(forID: Int32(id)), let first = text.unicodeScalars.first else { return false }
            return first == " " || first == "\u{0120}" || first == "\u{2581}"
        }
    }

    @inline(__always) public func starts(_ token: Int32) -> Bool {
        token >= 0 && Int(token) < isStart.count && isStart[Int(token)]
    }

    /// The index in `tokens` where word `n + 1` begins (the first `n` words end there), or nil
    /// when there are at most `n` words.
    public func cut(_ tokens: [Int32], afterWords n: Int) -> Int? {
        var words = 0
        for (i, t) in tokens.enumerated() where starts(t) {
            words += 1
            if words > n { return i }
        }
        return nil
    }
}
