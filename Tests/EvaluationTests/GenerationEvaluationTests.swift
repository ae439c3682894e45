@testable import Evaluation
import SingleCell
import XCTest

/// `GenerationEvaluation` on tables built in memory: the paths the fixture files do not take.
final class GenerationEvaluationTests: XCTestCase {
    func table(_ path: String, genes: [String], rows: [[Double]], columns: [Column]) -> CellTable {
        CellTable(path: path, genes: genes, cellNames: rows.indices.map { "\(path)-\($0)" },
                  obs: DataFrame(index: rows.indices.map { "\(path)-\($0)" }, columns: columns),
                  matrix: FeatureRows(dense: rows.flatMap { $0 }, rows: rows.count, columns: genes.count))
    }

    func testReconstructCountsUnlabelledCellsAndRankedSentences() throws {
        let genes = ["A", "B", "C", "D"]
        let real = table("real", genes: genes, rows: [[3, 1, 0, 0], [2, 2, 1, 0], [0, 1, 3, 2], [0, 0, 2, 3], [1, 0, 0, 4]],
                         columns: [Column("cell_type", .strings(["x", "x", "y", "y", "y"]))])
        let generated = table("gen", genes: ["D", "C", "B", "A"], rows: [[0, 0, 1, 3], [2, 3, 0, 0], [1, 1, 1, 1]],
                              columns: [Column("cell_type", .categorical(codes: [0, 1, -1], categories: ["x", "y"])),
                                        Column("n_words", .integers([4, 5, 6])), Column("n_valid_words", .reals([4, 4, 6])),
                                        Column("n_unique_genes", .integers([4, 3, 5]))])
        var settings = GenerationSettings()
        settings.ks = [1, 2, 5]
        settings.sentenceGenes = 2
        let report = try GenerationEvaluation.run(generated: generated, real: real, settings: settings)
        XCTAssertTrue(report.warnings.contains { $0.contains("gen: 1 cells have no cell_type") }, "\(report.warnings)")
        // Word counts from reconstruct's columns, for the two labelled cells.
        let q = try XCTUnwrap(report.sentenceQuality)
        XCTAssertTrue(q.source.contains("n_words"))
        XCTAssertEqual(q.metrics.words, 9)
        XCTAssertEqual(q.metrics.validWords, 8)
        XCTAssertEqual(q.metrics.uniqueGenes, 7)
        // Sentences ranked from X (no sentence column): gen cell 0 is "A B" in real ids, so its
        // nearest real sentences ("A B") are real cells 0 and 1, both x.
        let sentence = report.knn.first { $0.space == "sentence" && $0.name.hasPrefix("generated") }!
        XCTAssertEqual(sentence.scores.map(\.k), [1, 2, 5])
        XCTAssertEqual(sentence.skippedK, [])
        XCTAssertEqual(sentence.perLabel.first { $0.label == "x" }!.accuracy, [1, 1, 0])
        // The leave-one-out reference row has one reference fewer.
        let reference = report.knn.first { $0.space == "expression" && $0.name.hasPrefix("real") }!
        XCTAssertEqual(reference.referenceCount, 5)
        XCTAssertEqual(reference.scores.map(\.k), [1, 2])
        XCTAssertTrue(reference.references.contains("leave-one-out"))
        XCTAssertEqual(report.inputs.map(\.cellsWithoutLabel), [1, 0])
        XCTAssertEqual(report.timings.map(\.stage), ["preparation", "k-NN in expression space", "k-NN in sentence space",
                                                      "mean profiles", "MMD", "Gromov-Wasserstein"])
        // A report can be read back from its JSON (NaN round-trips through null).
        let decoded = try JSONDecoder().decode(GenerationReport.self, from: try MetricsFile.encode(report))
        XCTAssertEqual(decoded.knn.map(\.scores), report.knn.map(\.scores))
        XCTAssertEqual(decoded.meanProfiles.perType, report.meanProfiles.perType)
        XCTAssertEqual(decoded.sentenceQuality?.metrics, report.sentenceQuality?.metrics)
        XCTAssertEqual(decoded.gromovWasserstein?.result, report.gromovWasserstein?.result)
        XCTAssertEqual(decoded.settings.ks, [1, 2, 5])
    }

    func testNormalizeRealAndCountsWarning() throws {
        let genes = ["A", "B"]
        let real = table("real", genes: genes, rows: [[10, 0], [5, 5], [0, 10]], columns: [Column("cell_type", .strings(["a", "b", "b"]))])
        let gen = table("gen", genes: genes, rows: [[0.5, 0], [0.25, 0.25]], columns: [Column("cell_type", .strings(["a", "b"]))])
        var settings = GenerationSettings()
        settings.ks = [1]
        var report = try GenerationEvaluation.run(generated: gen, real: real, settings: settings)
        XCTAssertTrue(report.warnings.contains { $0.contains("raw counts") }, "\(report.warnings)")
        settings.normalizeRealTarget = 1e4
        report = try GenerationEvaluation.run(generated: gen, real: real, settings: settings)
        XCTAssertFalse(report.warnings.contains { $0.contains("raw counts") })
        // Real cell 0 becomes (log10(1 + 1e4), 0): the mean real "a" profile.
        let a = report.meanProfiles.profiles[0].real
        XCTAssertEqual(a[0], log10(1 + 1e4), accuracy: 1e-12)
        XCTAssertEqual(a[1], 0)
    }
}
