import Foundation
import SingleCell

/// What `c2s inspect` shows of a sentence dataset folder: its manifest, its first sentences and
/// its most widely expressed genes.
///
/// Only the first sentences' lines of `cells.jsonl` are read (not `CellTable.load`, which reads
/// them all), so a dataset of millions of cells is summarised at once.
public struct DatasetSummary: Sendable {
    /// One line of `cells.jsonl`, its values as they are in the file.
    public struct Sentence: Sendable {
        /// `cell_name`, nil when the line has none.
        public var name: JSONScalar?
        /// The manifest's obs columns that the line has, in the manifest's order.
        public var values: [(column: String, value: JSONScalar)]
        /// `cell_sentence`'s genes, in order (none when the line has no sentence).
        public var genes: [Substring]
    }

    public let manifest: DatasetManifest
    /// The first sentences of `cells.jsonl`, at most as many as asked for.
    public let sentences: [Sentence]
    /// The genes of `vocab.tsv` expressed in the most cells, most first, with their cell counts.
    public let mostWidelyExpressed: [(gene: String, cells: Int)]

    /// Reads `folder`'s manifest, its first `sentences` lines of `cells.jsonl` and the `genes`
    /// most widely expressed genes of `vocab.tsv`. A line that is not a JSON object with a
    /// string `cell_sentence` (when it has one) is an error naming the file and the line.
    public init(folder: String, sentences count: Int, genes: Int = 10) throws {
        manifest = try DatasetManifest.read(folder: folder)
        let path = folder + "/cells.jsonl"
        let reader = try GzipLineReader(path: path)
        let sentenceField = Array("cell_sentence".utf8)
        var sentence: [UInt8] = []
        var read: [Sentence] = []
        while read.count < count, let line = try reader.nextLine() {
            guard let (fields, _) = try? JSONLineParser.parse(line, sentenceField: sentenceField, sentence: &sentence) else {
                throw FileError(path, "line \(read.count + 1) is not a JSON object")
            }
            let values = manifest.obsColumns.compactMap { column in
                fields.first { $0.0 == column }.map { (column: column, value: $0.1) }
            }
            let text = String(decoding: sentence, as: UTF8.self)
            read.append(Sentence(name: fields.first { $0.0 == "cell_name" }?.1, values: values, genes: text.split(separator: " ")))
        }
        self.sentences = read
        mostWidelyExpressed = try GeneVocabularyFile.read(folder + "/" + GeneVocabularyFile.fileName).mostWidelyExpressed(genes)
    }
}
