import Prompts

/// How well an input's genes match the model's vocabulary: a model asked about genes it never
/// saw answers from the few it knows, so a low overlap deserves a warning.
public struct GeneOverlap: Sendable, Equatable {
    /// Gene words in the cells' prompts (their top genes) that the model's vocabulary holds,
    /// over all gene words: the share of what the model reads that it knows.
    public var knownWords: Int
    public var words: Int
    /// Distinct input genes (the input vocabulary when known, else the genes in the prompts)
    /// found in the model's vocabulary.
    public var knownGenes: Int
    public var genes: Int
    public var vocabularySize: Int

    public var wordFraction: Double { words > 0 ? Double(knownWords) / Double(words) : 1 }
    public var geneFraction: Double { genes > 0 ? Double(knownGenes) / Double(genes) : 1 }

    /// Below this share of known gene words, commands warn.
    public static let warningThreshold = 0.5

    /// Measures `cells` (their top `topK` genes) and `inputGenes` against `vocabulary`.
    public init(cells: [CellRecord], topK: Int, inputGenes: [String]?, vocabulary: [String]) {
        let known = Set(vocabulary)
        var words = 0, knownWords = 0
        var seen = Set<Substring>()
        for cell in cells {
            for gene in cell.topGenes(topK).text.split(separator: " ") {
                words += 1
                if known.contains(String(gene)) { knownWords += 1 }
                if inputGenes == nil { seen.insert(gene) }
            }
        }
        let genes = inputGenes ?? seen.map(String.init)
        self.words = words
        self.knownWords = knownWords
        self.genes = genes.count
        self.knownGenes = genes.reduce(0) { $0 + (known.contains($1) ? 1 : 0) }
        vocabularySize = known.count
    }

    /// The warning to print, or nil when the overlap is fine.
    public var warning: String? {
        guard wordFraction < Self.warningThreshold else { return nil }
        return String(format: "only %.1f%% of the genes in the input's cell sentences (%d of %d gene words) are in the model's vocabulary of %d genes; %d of the input's %d genes are known to it. Check that the gene names match (symbols vs Ensembl ids, upper case, species).",
                      wordFraction * 100, knownWords, words, vocabularySize, knownGenes, genes)
    }
}
