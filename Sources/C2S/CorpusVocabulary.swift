import CellSentences
import Foundation
import Mechanics
import SingleCell

/// The union of the gene vocabularies of a corpus's sources, with convert's rules on case and
/// duplicate names carried across datasets.
///
/// Every source's `vocab.tsv` is already spelled by convert's rule (upper-case human-style
/// names, keep mouse-style case) and the prompts show the genes as the sources spell them, so a
/// gene is identified by its exact name: the same name in two datasets is one gene, its cell
/// counts added. Convert's duplicate rule then applies to the union: when the union's names
/// are human style (or mixed), convert would upper-case them, and two spellings that are one
/// name once upper-cased (`Actb` in one dataset, `ACTB` in another) are a clash, which convert
/// refuses by default (`--on-duplicate fail`) rather than merge or split genes silently; when
/// they are mouse style, convert keeps case, and such spellings stay two genes (as `Pisd` and
/// `PISD` do in one mouse file). `keepCase` keeps them apart in either case. Spellings kept
/// apart are listed (`caseVariants`), never hidden.
public struct CorpusVocabulary: Sendable {
    /// One gene of the union.
    public struct Gene: Sendable, Equatable {
        public var name: String
        /// Cells expressing it, summed over the datasets that have it.
        public var cells: Int
        /// Indices of the sources that have it, in source order.
        public var sources: [Int]
    }

    /// Spellings of one name (once upper-cased) found in the union, with the datasets of each.
    public struct CaseVariant: Sendable, Equatable, Codable {
        public var name: String
        public var spellings: [Spelling]

        public struct Spelling: Sendable, Equatable, Codable {
            public var gene: String
            public var datasets: [String]
        }
    }

    /// The genes in order of first appearance (source by source, each in its `vocab.tsv` order).
    public let genes: [Gene]
    public let sourceNames: [String]
    /// The union's spelling, as convert would judge one file holding all of its names.
    public let style: GeneNameStyle
    /// Whether spellings that differ only in case are kept as separate genes.
    public let keptCase: Bool
    public let caseVariants: [CaseVariant]

    /// Builds the union of `vocabularies` (for each source, its genes and cells per gene, in
    /// order), named `names`. Throws `DataError` listing the clashes (with their datasets) when
    /// convert's rule would refuse them.
    public init(names: [String], vocabularies: [(genes: [String], cells: [Int])], keepCase: Bool) throws {
        precondition(names.count == vocabularies.count)
        var index: [String: Int] = [:]
        var genes: [Gene] = []
        for (s, vocabulary) in vocabularies.enumerated() {
            for (gene, cells) in zip(vocabulary.genes, vocabulary.cells) {
                if let g = index[gene] {
                    genes[g].cells += cells
                    if genes[g].sources.last != s { genes[g].sources.append(s) }
                } else {
                    index[gene] = genes.count
                    genes.append(Gene(name: gene, cells: cells, sources: [s]))
                }
            }
        }
        let style = GeneNameStyle.detect(genes.map(\.name))
        // Groups of spellings that upper-case to one name, in order of first appearance.
        var byUpper: [String: [Int]] = [:]
        var upperOrder: [String] = []
        for (g, gene) in genes.enumerated() {
            let key = gene.name.uppercased()
            if byUpper[key] == nil { upperOrder.append(key) }
            byUpper[key, default: []].append(g)
        }
        let variants = upperOrder.compactMap { key -> CaseVariant? in
            let members = byUpper[key]!
            guard members.count > 1 else { return nil }
            return CaseVariant(name: key, spellings: members.map { g in
                CaseVariant.Spelling(gene: genes[g].name, datasets: genes[g].sources.map { names[$0] })
            })
        }
        let keep = keepCase || style.kind == .capitalised
        if !keep && !variants.isEmpty {
            let list = variants.prefix(8).map { v in
                "\(v.name) <- " + v.spellings.map { "\($0.gene) (\($0.datasets.joined(separator: ", ")))" }.joined(separator: ", ")
            }.joined(separator: "; ")
            let more = variants.count > 8 ? " and \(variants.count - 8) more" : ""
            throw DataError("\(variants.count) gene name(s) of the corpus differ only in case, which convert's rule for these names (\(style.description)) would upper-case into one gene: \(list)\(more). Convert those datasets alike (e.g. 'c2s convert --upper-case --on-duplicate sum' for mouse-style ones), or pass --keep-case to keep the spellings as different genes")
        }
        self.genes = genes
        sourceNames = names
        self.style = style
        keptCase = keep
        caseVariants = variants
    }

    /// Genes every source has.
    public var inEverySource: Int { genes.reduce(0) { $0 + ($1.sources.count == sourceNames.count ? 1 : 0) } }

    /// For each source: its genes, the genes no other source has, and the union's genes it lacks.
    public func coverage() -> [(genes: Int, onlyHere: Int, missing: Int)] {
        var own = [Int](repeating: 0, count: sourceNames.count), only = own
        for gene in genes {
            for s in gene.sources { own[s] += 1 }
            if gene.sources.count == 1 { only[gene.sources[0]] += 1 }
        }
        return sourceNames.indices.map { (own[$0], only[$0], genes.count - own[$0]) }
    }

    /// `vocab.tsv` as convert writes it (`gene<TAB>n_cells`, with a header), so the corpus
    /// folder serves where a sentence dataset's vocabulary is read (`c2s tokenizer train
    /// --gene-aware CORPUS`).
    public func vocabularyTSV() -> String {
        GeneVocabularyFile(genes: genes.map(\.name), cells: genes.map(\.cells)).text
    }

    /// `genes.tsv`: every gene with its cells, the number of datasets that have it and their
    /// names (comma-separated), to see which genes only some datasets measure.
    public func presenceTSV() -> String {
        var out = "gene\tn_cells\tn_datasets\tdatasets\n"
        for gene in genes {
            out += "\(gene.name)\t\(gene.cells)\t\(gene.sources.count)\t\(gene.sources.map { sourceNames[$0] }.joined(separator: ","))\n"
        }
        return out
    }
}
