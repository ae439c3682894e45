import Foundation

/// The first pass of BPE training, fed a batch of texts at a time: the distinct pre-tokenized
/// words of the corpus and how often each occurs (as `tokenizers` learns its merges from word
/// counts). Only the counts are kept, so a corpus can be streamed through it with memory that
/// grows with its distinct words, not with its size; `BPETrainer.train(_:)` learns the merges.
///
/// Added tokens (the special tokens, and the gene tokens of gene-aware training) are taken out
/// of each text before it is split, as the finished tokenizer does; see `WordCounter`.
public struct BPEWordCounts: Sendable {
    public let options: BPETrainingOptions
    public let genes: GeneVocabulary?
    /// Texts added so far.
    public private(set) var texts = 0
    let addedTokens: AddedTokenMatcher
    private(set) var counter = WordCounter()

    /// Checks the options (special tokens, vocabulary size, genes) before any text is read.
    public init(options: BPETrainingOptions = BPETrainingOptions(), genes: GeneVocabulary? = nil) throws(TokenizerTrainingError) {
        let specials = options.specialTokens
        guard Set(specials).count == specials.count else { throw TokenizerTrainingError("special tokens must be distinct: \(specials)") }
        if let empty = specials.firstIndex(where: { $0.isEmpty }) { throw TokenizerTrainingError("special token \(empty + 1) is empty") }
        if let clash = specials.first(where: { s in ByteUnicode.utf8ForByte.contains(Array(s.utf8)) }) {
            throw TokenizerTrainingError("special token \"\(clash)\" is spelled like a byte symbol of the alphabet")
        }
        let smallest = specials.count + 256
        guard options.vocabSize >= smallest else {
            throw TokenizerTrainingError("vocabulary size \(options.vocabSize) is smaller than the \(specials.count) special tokens + 256 byte symbols (at least \(smallest))")
        }
        if let genes, let clash = genes.genes.first(where: { specials.contains($0) }) {
            throw TokenizerTrainingError("gene \"\(clash)\" is also a special token")
        }
        var entries: [(bytes: [UInt8], token: AddedToken)] = []
        for (i, s) in specials.enumerated() {
            entries.append((Array(s.utf8), AddedToken(content: s, id: Int32(i), special: true, normalized: false, lstrip: false, rstrip: false, singleWord: false)))
        }
        for (i, g) in (genes?.addedTokenContents ?? []).enumerated() {
            entries.append((Array(g.content.utf8), AddedToken(content: g.content, id: Int32(specials.count + i), special: false,
                                                              normalized: false, lstrip: false, rstrip: false, singleWord: g.singleWord)))
        }
        self.options = options
        self.genes = genes
        self.addedTokens = AddedTokenMatcher(entries)
    }

    /// Counts the words of `batch` with up to `options.workers` threads. Adding a corpus in any
    /// number of batches gives the counts (and the tokenizer) that adding it at once gives.
    public mutating func add(_ batch: [String]) {
        counter.add(batch, addedTokens: addedTokens, workers: options.workers)
        texts += batch.count
    }
}
