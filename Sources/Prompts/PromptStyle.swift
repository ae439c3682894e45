/// How a prompt's values are laid out and its template filled: c2s's own way, or the way the
/// reference package (and the checkpoints trained with it) did.
public struct PromptStyle: Sendable, Equatable {
    /// What `{num_genes}` says.
    public enum GeneCount: String, Sendable {
        /// How many genes the prompt really shows (fewer than asked for a short cell).
        case shown
        /// The number asked for (`--top-k`), even when a cell has fewer genes: the reference's
        /// behaviour, which its checkpoints learnt.
        case requested
    }

    /// How several cells are laid out in `{cell_sentences}`.
    public enum CellBlock: String, Sendable {
        /// One line per cell, "Cell 1: GENE GENE ..." (`PromptFormat.cellBlock`).
        case lines
        /// "Cell 1:\nGENE GENE ....\n" per cell (`PromptFormat.referenceCellBlock`).
        case reference
    }

    public var geneCount: GeneCount
    public var cellBlock: CellBlock
    /// Fill templates as Python's `str.format` (`PromptTemplate.renderVerbatim`): no period
    /// folding, no trimming.
    public var verbatim: Bool

    public init(geneCount: GeneCount, cellBlock: CellBlock, verbatim: Bool) {
        self.geneCount = geneCount
        self.cellBlock = cellBlock
        self.verbatim = verbatim
    }

    /// c2s's own prompts: the genes really shown, one line per cell, tidy rendering.
    public static let c2s = PromptStyle(geneCount: .shown, cellBlock: .lines, verbatim: false)
    /// The reference package's (cell2sentence 1.2.0) prompts, byte for byte.
    public static let reference = PromptStyle(geneCount: .requested, cellBlock: .reference, verbatim: true)

    /// `{num_genes}`: `requested` or `shown` as this style says.
    public func numGenes(requested: Int, shown: Int) -> String {
        String(geneCount == .requested ? requested : shown)
    }

    /// The multi-cell block of these sentences, and where each sentence lies in it.
    public func cellBlock(_ sentences: [Substring]) -> String {
        cellBlock == .reference ? PromptFormat.referenceCellBlock(sentences) : PromptFormat.cellBlock(sentences)
    }

    public func cellBlockSpans(_ sentences: [Substring]) -> [Range<Int>] {
        cellBlock == .reference ? PromptFormat.referenceCellBlockSpans(sentences) : PromptFormat.cellBlockSpans(sentences)
    }

    /// Renders `template` in this style.
    public func render(_ template: PromptTemplate, _ value: (String) -> String?) throws -> String {
        verbatim ? try template.renderVerbatim(value) : try template.render(value)
    }

    /// Renders `template` in this style, locating the code points `marking` names.
    public func render(_ template: PromptTemplate, _ value: (String) -> String?,
                       marking: (String, String) -> [Range<Int>]) throws -> (text: String, marked: [Range<Int>]) {
        try template.render(value, verbatim: verbatim, marking: marking)
    }
}
