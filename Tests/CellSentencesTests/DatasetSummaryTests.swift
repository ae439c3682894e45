import CellSentences
import Foundation
import SingleCell
import TestSupport
import XCTest

/// `c2s inspect`'s summary: the first sentences with their obs values, read without reading
/// the rest of `cells.jsonl`, and the most widely expressed genes of `vocab.tsv`.
final class DatasetSummaryTests: XCTestCase {
    func dataset(in tmp: TemporaryFolder) throws -> String {
        let rows: [[Float]] = [[5, 1, 0], [2, 2, 1], [0, 1, 3], [1, 0, 0]]
        var indptr = [0], indices: [Int32] = [], values: [Float] = []
        for row in rows {
            for (c, v) in row.enumerated() where v != 0 { indices.append(Int32(c)); values.append(v) }
            indptr.append(indices.count)
        }
        let obs = DataFrame(index: rows.indices.map { "cell\($0)" },
                            columns: [Column("label", .categorical(codes: [0, 1, -1, 0], categories: ["a", "b"]))])
        let source = InMemorySource(path: "test.h5ad", matrix: CSRRows(firstRow: 0, indptr: indptr, indices: indices, values: values),
                                    obs: obs, genes: DataFrame(index: ["A", "B", "C"]))
        var options = ConversionOptions()
        options.preprocessing.minGenes = 0
        options.preprocessing.minCells = 0
        options.checksum = false
        options.obsColumns = ["label", "n_genes_by_counts"]
        _ = try CellSentenceConverter.convert(source, to: tmp.file("d"), options: options)
        return tmp.file("d")
    }

    func testFirstSentencesAndWidelyExpressedGenes() throws {
        let tmp = try TemporaryFolder()
        let summary = try DatasetSummary(folder: try dataset(in: tmp), sentences: 3, genes: 2)
        XCTAssertEqual(summary.sentences.map(\.name), [.string("cell0"), .string("cell1"), .string("cell2")])
        XCTAssertEqual(summary.sentences[0].genes, ["A", "B"])
        XCTAssertEqual(summary.sentences[1].genes.count, 3)
        XCTAssertEqual(summary.sentences[2].genes, ["C", "B"])
        XCTAssertEqual(summary.sentences[0].values.map(\.column), ["label", "n_genes_by_counts"])
        XCTAssertEqual(summary.sentences[0].values.map(\.value), [.string("a"), .number(2)])
        // A cell without a category is null in the file, and shown as such.
        XCTAssertEqual(summary.sentences[2].values.first?.value, .null)
        // B is in 3 cells, A in 3, C in 2: ties keep the file's order.
        XCTAssertEqual(summary.mostWidelyExpressed.map(\.gene), ["A", "B"])
        XCTAssertEqual(summary.mostWidelyExpressed.map(\.cells), [3, 3])
    }

    func testOnlyTheShownLinesAreRead() throws {
        let tmp = try TemporaryFolder()
        let folder = try dataset(in: tmp)
        // Lines after the first two are damaged: a summary of two sentences never reads them.
        let lines = try String(contentsOfFile: folder + "/cells.jsonl", encoding: .utf8).split(separator: "\n")
        try (lines.prefix(2).joined(separator: "\n") + "\nnot json\n").write(toFile: folder + "/cells.jsonl", atomically: true, encoding: .utf8)
        XCTAssertEqual(try DatasetSummary(folder: folder, sentences: 2).sentences.count, 2)
        XCTAssertThrowsError(try DatasetSummary(folder: folder, sentences: 3)) { error in
            XCTAssertEqual("\(error)", "\(folder)/cells.jsonl: line 3 is not a JSON object")
        }
    }

    func testVocabularyFileReadsBackWhatItWrites() throws {
        let tmp = try TemporaryFolder()
        let file = GeneVocabularyFile(genes: ["CD3D", "LYZ"], cells: [7, 12])
        XCTAssertEqual(file.text, "gene\tn_cells\nCD3D\t7\nLYZ\t12\n")
        try file.text.write(toFile: tmp.file("vocab.tsv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try GeneVocabularyFile.read(tmp.file("vocab.tsv")), file)
        XCTAssertEqual(file.mostWidelyExpressed(1).map(\.gene), ["LYZ"])
        try "gene\tn_cells\nCD3D\tmany\n".write(toFile: tmp.file("vocab.tsv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GeneVocabularyFile.read(tmp.file("vocab.tsv"))) { error in
            XCTAssertEqual("\(error)", "\(tmp.file("vocab.tsv")): line 2 is not 'gene<TAB>n_cells'")
        }
    }
}
