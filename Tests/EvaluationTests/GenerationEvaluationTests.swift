@testable import Evaluation
import SingleCell
import XCTest

/// `GenerationEvaluation` on tables built in memory: the paths the fixture files do not take.
final class GenerationEvaluationTests: XCTestCase {
    func table(_ path: String, genes: [String], rows: [[Double]], columns: [Column]) -> ExpressionMatrix {
        ExpressionMatrix(path: path, genes: genes, cellNames: rows.indices.map { "\(path)-\($0)" },
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

    /// Real cells: a at (0,0) (0,1) (0,2) (0,3), each with another a as its nearest neighbour
    /// (leave-one-out 1-NN: 4 of 4); b at (10,0) and (21,0): (10,0) is nearer (0,0) than (21,0),
    /// so b scores 1 of 2; per cell 5 of 6. Generated: one a, two b, one c (a label no real cell
    /// has). A perfect generator of these four cells would score 1/4 · 1 + 2/4 · 1/2 + 1/4 · 0 =
    /// 1/2, not 5/6: the ceiling on the generated cells' label mix.
    func testRealVsRealOnTheGeneratedLabelMix() throws {
        let genes = ["A", "B"]
        let real = table("real", genes: genes, rows: [[0, 0], [0, 1], [0, 2], [0, 3], [10, 0], [21, 0]],
                         columns: [Column("cell_type", .strings(["a", "a", "a", "a", "b", "b"]))])
        let generated = table("gen", genes: genes, rows: [[0, 1], [20, 0], [0, 2], [9, 9]],
                              columns: [Column("cell_type", .strings(["a", "b", "b", "c"]))])
        var settings = GenerationSettings()
        settings.ks = [1]
        settings.sentenceGenes = 1
        let report = try GenerationEvaluation.run(generated: generated, real: real, settings: settings)
        let natural = try XCTUnwrap(report.knn.first { $0.space == "expression" && $0.name.hasPrefix("real vs real") })
        XCTAssertEqual(natural.scores.map(\.correct), [5])
        XCTAssertEqual(natural.perLabel.map(\.accuracy), [[1], [0.5]])
        let matched = try XCTUnwrap(report.knnMixMatched?.first { $0.space == "expression" })
        XCTAssertEqual(matched.generatedRow, "generated vs real")
        XCTAssertEqual(matched.scores.map(\.k), [1])
        XCTAssertEqual(matched.scores[0].accuracy, 0.25 * 1 + 0.5 * 0.5 + 0.25 * 0, accuracy: 1e-15)
        XCTAssertEqual(matched.labelsWithoutRealCells, ["c"])
        XCTAssertNotNil(report.knnMixMatched?.first { $0.space == "sentence" })
        // In the JSON; a report written before it existed still decodes.
        var json = try JSONSerialization.jsonObject(with: try MetricsFile.encode(report)) as! [String: Any]
        XCTAssertEqual((json["knn_real_vs_real_generated_mix"] as? [Any])?.count, 2)
        json["knn_real_vs_real_generated_mix"] = nil
        XCTAssertNil(try JSONDecoder().decode(GenerationReport.self, from: try JSONSerialization.data(withJSONObject: json)).knnMixMatched)
    }

    /// Pearson's r from its definition, for the hand checks below.
    func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), syy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
        return sxy / (sxx * syy).squareRoot()
    }

    /// Three types on three genes: x and y have 2 real cells each (means (3,0,0) and (0,3,0)),
    /// z has 4 (mean (0,0,3)), so the mean of all 8 real cells is (0.75, 0.75, 1.5). The
    /// label-blind null is each type's mean against that: by hand, x and y give
    /// (2,-1,-1)·(-0.25,-0.25,0.5) / (√6 · √0.375) = -0.75 / 1.5 = -0.5 and z gives
    /// 1.5 / 1.5 = 1, mean 0. Generated cells: x and y sit by their own kind, but both z cells
    /// sit nearer x cells than each other, so leave-one-out 1-NN among the generated cells
    /// gets 4 of 6 right.
    func testProfileNullChanceAndGeneratedSeparation() throws {
        let genes = ["A", "B", "C"]
        let real = table("real", genes: genes,
                         rows: [[4, 0, 0], [2, 0, 0], [0, 3, 0], [0, 3, 0], [0, 0, 2], [0, 0, 4], [0, 0, 3], [0, 0, 3]],
                         columns: [Column("cell_type", .strings(["x", "x", "y", "y", "z", "z", "z", "z"]))])
        let generated = table("gen", genes: genes,
                              rows: [[3, 0, 0], [3.1, 0, 0], [0, 3, 0], [0, 3.1, 0], [0.2, 0, 3], [3.3, 0, 0]],
                              columns: [Column("cell_type", .strings(["x", "x", "y", "y", "z", "z"]))])
        var settings = GenerationSettings()
        settings.ks = [1]
        settings.sentenceGenes = 1
        let report = try GenerationEvaluation.run(generated: generated, real: real, settings: settings)

        let all = [0.75, 0.75, 1.5]
        let byHand = [("x", [3.0, 0, 0]), ("y", [0, 3.0, 0]), ("z", [0, 0, 3.0])].map { ($0.0, pearson($0.1, all)) }
        for (hand, value) in zip(byHand, [-0.5, -0.5, 1]) { XCTAssertEqual(hand.1, value, accuracy: 1e-12, hand.0) }
        let null = try XCTUnwrap(report.profileNull)
        XCTAssertEqual(null.allRealCells, 8)
        XCTAssertEqual(null.perType.map(\.label), ["x", "y", "z"])
        XCTAssertEqual(null.perType.map(\.realCells), [2, 2, 4])
        for (row, hand) in zip(null.perType, byHand) { XCTAssertEqual(row.pearson, hand.1, accuracy: 1e-12, row.label) }
        XCTAssertEqual(null.meanPearson, 0, accuracy: 1e-12)

        XCTAssertEqual(try XCTUnwrap(report.knnChance), 1.0 / 3, accuracy: 1e-15)
        let separation = try XCTUnwrap(report.knn.first { $0.space == "expression" && $0.name.hasPrefix("generated vs generated") })
        XCTAssertTrue(separation.references.contains("leave-one-out"))
        XCTAssertEqual(separation.queryCount, 6)
        XCTAssertEqual(separation.scores.map(\.correct), [4])
        XCTAssertEqual(separation.perLabel.map(\.accuracy), [[1], [1], [0]])
        XCTAssertNotNil(report.knn.first { $0.space == "sentence" && $0.name.hasPrefix("generated vs generated") })

        // In the JSON under profile_null and knn_chance; a report without them (written before
        // they existed) still decodes.
        let json = try JSONSerialization.jsonObject(with: try MetricsFile.encode(report)) as! [String: Any]
        let nullJSON = try XCTUnwrap(json["profile_null"] as? [String: Any])
        XCTAssertEqual((nullJSON["per_type"] as? [[String: Any]])?.count, 3)
        XCTAssertNotNil(json["knn_chance"])
        var old = json
        old["profile_null"] = nil
        old["knn_chance"] = nil
        let decoded = try JSONDecoder().decode(GenerationReport.self, from: try JSONSerialization.data(withJSONObject: old))
        XCTAssertNil(decoded.profileNull)
        XCTAssertEqual(decoded.knn.count, report.knn.count)
    }

    /// The real-vs-real reference of the mean-profile Pearson. x: 2 real cells and 3 generated,
    /// so each draw is one cell against the other (m = half the real cells), the same r both
    /// ways. y: 4 identical real cells, r = 1. z: 5 real cells, 2 generated: one draw is one of
    /// the 10 pairs against the other 3 cells. w: one real cell, no reference.
    func testProfileRealVsRealReference() throws {
        let x = [[4.0, 0, 1], [2, 1, 0]], y = [[0.0, 3, 1], [0, 3, 1], [0, 3, 1], [0, 3, 1]]
        let z = [[1.0, 0, 5], [0, 1, 4], [2, 0, 3], [0, 2, 6], [1, 1, 2]], w = [[5.0, 5, 0]]
        let rows = x + y + z + w
        let labels = Array(repeating: "x", count: 2) + Array(repeating: "y", count: 4) + Array(repeating: "z", count: 5) + ["w"]
        let real = FeatureRows(dense: rows.flatMap { $0 }, rows: rows.count, columns: 3)
        let ceiling = ProfileCeiling.compute(real: real, realLabels: labels, types: ["w", "x", "y", "z"], generatedCounts: [4, 3, 40, 2], draws: 7, seed: 5)
        XCTAssertEqual(ceiling.draws, 7)
        XCTAssertEqual(ceiling.perType.map(\.label), ["x", "y", "z"], "a type with one real cell has no reference")
        XCTAssertEqual(ceiling.perType.map(\.drawnCells), [1, 2, 2], "as many as generated, at most half the real cells")
        XCTAssertEqual(ceiling.perType.map(\.realCells), [2, 4, 5])
        XCTAssertEqual(ceiling.perType[0].pearson, pearson(x[0], x[1]), accuracy: 1e-12)
        XCTAssertEqual(ceiling.perType[1].pearson, 1, accuracy: 1e-12)
        XCTAssertEqual(ceiling.meanPearson, (ceiling.perType[0].pearson + 1 + ceiling.perType[2].pearson) / 3, accuracy: 1e-12)
        // One draw of z is one of its ten pairs against the other three cells.
        func mean(_ r: [[Double]]) -> [Double] { (0..<3).map { c in r.map { $0[c] }.reduce(0, +) / Double(r.count) } }
        var pairs: [Double] = []
        for i in 0..<5 { for j in (i + 1)..<5 {
            pairs.append(pearson(mean([z[i], z[j]]), mean(z.indices.filter { $0 != i && $0 != j }.map { z[$0] })))
        } }
        var seen = Set<Int>()
        for seed in UInt64(0)..<UInt64(40) {
            let one = ProfileCeiling.compute(real: real, realLabels: labels, types: ["z"], generatedCounts: [2], draws: 1, seed: seed)
            let r = try XCTUnwrap(one.perType.first).pearson
            let match = try XCTUnwrap(pairs.firstIndex { abs($0 - r) < 1e-12 }, "seed \(seed): \(r) is no pair's r")
            seen.insert(match)
        }
        XCTAssertGreaterThan(seen.count, 5, "the draws vary with the seed")
        XCTAssertEqual(ProfileCeiling.compute(real: real, realLabels: labels, types: ["z"], generatedCounts: [2], draws: 7, seed: 5),
                       ProfileCeiling.compute(real: real, realLabels: labels, types: ["z"], generatedCounts: [2], draws: 7, seed: 5))

        // In the evaluation's report (JSON profile_real_vs_real); older reports still decode.
        let genes = ["A", "B", "C"]
        let realTable = table("real", genes: genes, rows: rows, columns: [Column("cell_type", .strings(labels))])
        let generated = table("gen", genes: genes, rows: [[3, 1, 0], [0, 3, 1], [1, 1, 4]],
                              columns: [Column("cell_type", .strings(["x", "y", "z"]))])
        var settings = GenerationSettings()
        settings.ks = [1]
        settings.sentenceGenes = 1
        let report = try GenerationEvaluation.run(generated: generated, real: realTable, settings: settings)
        let inReport = try XCTUnwrap(report.profileCeiling)
        XCTAssertEqual(inReport.perType.map(\.label), ["x", "y", "z"])
        XCTAssertEqual(inReport.perType.map(\.drawnCells), [1, 1, 1])
        let json = try JSONSerialization.jsonObject(with: try MetricsFile.encode(report)) as! [String: Any]
        XCTAssertNotNil(json["profile_real_vs_real"] as? [String: Any])
        var old = json
        old["profile_real_vs_real"] = nil
        XCTAssertNil(try JSONDecoder().decode(GenerationReport.self, from: try JSONSerialization.data(withJSONObject: old)).profileCeiling)
    }
}
