import Foundation
import SingleCell

/// `vocab.tsv`: a sentence dataset's genes (and a corpus's), a header `gene<TAB>n_cells` and
/// one line per gene with the number of cells expressing it, in the dataset's gene order. The
/// one writer (`CellSentenceConverter`, `c2s corpus`) and reader (`SentenceDataset`,
/// `DatasetSummary`) of the format.
public struct GeneVocabularyFile: Sendable, Equatable {
    /// The file's name in a dataset folder.
    public static let fileName = "vocab.tsv"

    public var genes: [String]
    /// `cells[i]`: how many cells express `genes[i]`.
    public var cells: [Int]

    public init(genes: [String], cells: [Int]) {
        precondition(genes.count == cells.count, "one cell count per gene")
        self.genes = genes
        self.cells = cells
    }

    /// The file's text.
    public var text: String {
        var out = "gene\tn_cells\n"
        for (gene, n) in zip(genes, cells) { out += "\(gene)\t\(n)\n" }
        return out
    }

    /// Reads `path` (gzipped or not). Empty lines are skipped; any other line that is not
    /// `gene<TAB>n_cells` is an error naming the file and the line. An empty vocabulary is
    /// read as one: whether that is acceptable is the caller's call.
    public static func read(_ path: String) throws -> GeneVocabularyFile {
        var genes: [String] = [], cells: [Int] = []
        for (k, line) in try GzipLineReader.readLines(path).enumerated() where k > 0 && !line.isEmpty {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard parts.count == 2, let n = Int(parts[1]) else { throw FileError(path, "line \(k + 1) is not 'gene<TAB>n_cells'") }
            genes.append(String(parts[0]))
            cells.append(n)
        }
        return GeneVocabularyFile(genes: genes, cells: cells)
    }

    /// The `count` genes expressed in the most cells, with their cell counts (ties in file order).
    public func mostWidelyExpressed(_ count: Int) -> [(gene: String, cells: Int)] {
        Array(zip(genes, cells).map { (gene: $0, cells: $1) }.sorted { $0.cells > $1.cells }.prefix(count))
    }
}
