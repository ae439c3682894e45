import CellSentences
import Foundation
import Prompts

/// How well an input's genes match the model's vocabulary. A model reading cells that lack
/// most of the genes it learned (another gene panel, Ensembl ids instead of symbols, another
/// species), or cell sentences full of genes it never saw, answers from the few it knows, so a
/// poor overlap deserves a warning.
public struct GeneOverlap: Sendable, Equatable {
    public var vocabularySize: Int
    /// Distinct input genes, and how many of them the vocabulary holds.
    public var inputGenes: Int
    public var sharedGenes: Int
    /// Gene words in the cells' prompts (their top genes) and how many are vocabulary genes;
    /// nil when not measured (a count matrix is read through the vocabulary, so its
    /// sentences hold only known genes).
    public var words: Int?
    public var knownWords: Int?

    /// Share of the vocabulary present in the input.
    public var coverage: Double { vocabularySize > 0 ? Double(sharedGenes) / Double(vocabularySize) : 1 }
    public var wordFraction: Double? { words.map { $0 > 0 ? Double(knownWords!) / Double($0) : 1 } }

    /// Below this coverage (or share of known gene words), commands warn.
    public static let warningThreshold = 0.5

    /// Measures `inputGenes` (nil: the genes seen in the cells' sentences) against
    /// `vocabulary`, and, when `measureWords`, the top `topK` gene words of `cells`.
    public init(cells: [CellRecord], topK: Int, inputGenes: [String]?, vocabulary: [String], measureWords: Bool) {
        let known = Set(vocabulary)
        var seen = Set<Substring>()
        var words = 0, knownWords = 0
        if measureWords || inputGenes == nil {
            for cell in cells {
                for gene in cell.topGenes(topK).text.split(separator: " ") {
                    words += 1
                    if known.contains(String(gene)) { knownWords += 1 }
                    seen.insert(gene)
                }
            }
        }
        let genes = Set(inputGenes ?? seen.map(String.init))
        vocabularySize = known.count
        self.inputGenes = genes.count
        sharedGenes = genes.reduce(0) { $0 + (known.contains($1) ? 1 : 0) }
        if measureWords {
            self.words = words
            self.knownWords = knownWords
        }
    }

    /// The warning to print, or nil when the overlap is fine.
    public var warning: String? {
        let poorWords = (wordFraction ?? 1) < Self.warningThreshold
        guard coverage < Self.warningThreshold || poorWords else { return nil }
        var text = String(format: "the input has only %d of the model's %d vocabulary genes (%.1f%%; %d of its own %d genes are known to the model)",
                          sharedGenes, vocabularySize, coverage * 100, sharedGenes, inputGenes)
        if let words, let knownWords, let f = wordFraction {
            text += String(format: ", and %.1f%% of the gene words in its cell sentences (%d of %d) are in the vocabulary", f * 100, knownWords, words)
        }
        return text + ". The model will read cells made of genes it mostly never learned: check that the gene names match (symbols vs Ensembl ids, upper case, species, gene panel)."
    }
}
