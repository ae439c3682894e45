import C2S
import Foundation
import SingleCell
import TestSupport
import XCTest

/// `c2s combine-annotations`: constrained readings of the same cells by several models, each
/// label's log-likelihood averaged over them.
final class AnnotationCombiningTests: XCTestCase {
    let labels = ["B", "NK", "T/NK"]

    /// A constrained annotation result as `c2s annotate` writes it: the cells' columns, then
    /// c2s_label, c2s_score, c2s_probability and c2s_score_<label>.
    func write(_ path: String, cells: [String], truth: [String], scores: [[Double]], labelOrder: [Int]? = nil) throws {
        var t = ResultTable()
        t.index = cells
        t.add("cell_type", truth)
        t.add("c2s_label", scores.map { row in labels[row.indices.max { row[$0] < row[$1] }!] })
        t.add("c2s_score", numbers: scores.map { $0.max() })
        t.add("c2s_probability", numbers: scores.map { _ in 0.5 })
        for j in labelOrder ?? Array(labels.indices) { t.add("c2s_score_" + labels[j], numbers: scores.map { $0[j] }) }
        try t.writeH5AD(path)
    }

    func testLabelsOfTheMeanLogLikelihood() throws {
        let tmp = try TemporaryFolder()
        let cells = ["c1", "c2", "c3"]
        let a: [[Double]] = [[-1, -2, -9], [-0.5, -3, -4], [-6, -5, -0.1]]
        let b: [[Double]] = [[-4, -0.5, -9], [-2, -1, -4], [-7, -0.2, -3]]
        try write(tmp.file("a.h5ad"), cells: cells, truth: ["NK", "B", "T/NK"], scores: a)
        // The second reading lists its cells and score columns in another order.
        try write(tmp.file("b.h5ad"), cells: cells.reversed(), truth: ["T/NK", "B", "NK"], scores: b.reversed(), labelOrder: [2, 0, 1])
        let r = try AnnotationCombining.run(AnnotationCombiningSettings(inputs: [tmp.file("a.h5ad"), tmp.file("b.h5ad")], output: tmp.file("ab.h5ad")))
        XCTAssertEqual(r.cells, 3)
        XCTAssertEqual(r.labels, labels)
        let obs = try H5ADSource(path: tmp.file("ab.h5ad")).obs
        XCTAssertEqual(obs.index, cells)
        XCTAssertEqual(obs.columnNames, ["cell_type", "c2s_label", "c2s_score", "c2s_probability"] + labels.map { "c2s_score_" + $0.replacingOccurrences(of: "/", with: "_") })
        var chosen: [String] = []
        for i in 0..<3 {
            let mean = (0..<3).map { (a[i][$0] + b[i][$0]) / 2 }
            let best = mean.indices.max { mean[$0] < mean[$1] }!
            chosen.append(labels[best])
            XCTAssertEqual(obs.column("c2s_label")?.values.text(at: i), labels[best])
            XCTAssertEqual(Double(obs.column("c2s_score")!.values.text(at: i)!)!, mean[best], accuracy: 1e-12)
            let softmax = 1 / mean.reduce(0) { $0 + exp($1 - mean[best]) }
            XCTAssertEqual(Double(obs.column("c2s_probability")!.values.text(at: i)!)!, softmax, accuracy: 1e-12)
            for (j, l) in labels.enumerated() {
                XCTAssertEqual(Double(obs.column("c2s_score_" + l.replacingOccurrences(of: "/", with: "_"))!.values.text(at: i)!)!, mean[j], accuracy: 1e-12)
            }
        }
        // a alone says B, B, T/NK; b alone NK, NK, NK; together NK, B, T/NK: each is right on a
        // cell the other gets wrong, and the label with '/' keeps its spelling.
        XCTAssertEqual(chosen, ["NK", "B", "T/NK"])
        XCTAssertEqual(r.agreement, [2, 1])
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("ab.csv")))
    }

    func testReadingsThatDoNotMatchAreRefused() throws {
        let tmp = try TemporaryFolder()
        let s: [[Double]] = [[-1, -2, -3], [-3, -2, -1]]
        try write(tmp.file("a.h5ad"), cells: ["c1", "c2"], truth: ["B", "NK"], scores: s)
        try write(tmp.file("other-cells.h5ad"), cells: ["c1", "c9"], truth: ["B", "NK"], scores: s)
        var free = ResultTable()
        free.index = ["c1", "c2"]
        free.add("c2s_label", ["B", "NK"])
        try free.writeH5AD(tmp.file("free.h5ad"))
        var fewer = ResultTable()
        fewer.index = ["c1", "c2"]
        fewer.add("c2s_label", ["B", "NK"])
        fewer.add("c2s_score_B", numbers: [-1, -2])
        fewer.add("c2s_score_NK", numbers: [-2, -1])
        try fewer.writeH5AD(tmp.file("fewer.h5ad"))
        let cases: [([String], String, String)] = [
            (["other-cells.h5ad"], "has no cell 'c2'", "other-cells.h5ad"),
            (["free.h5ad"], "has no per-label scores", "free.h5ad"),
            (["fewer.h5ad"], "scores other labels", "fewer.h5ad"),
            (["missing.h5ad"], "no such file", "missing.h5ad"),
        ]
        for (second, message, file) in cases {
            let settings = AnnotationCombiningSettings(inputs: [tmp.file("a.h5ad")] + second.map(tmp.file), output: tmp.file("out.h5ad"))
            XCTAssertThrowsError(try AnnotationCombining.run(settings)) {
                XCTAssertTrue("\($0)".contains(message) && "\($0)".contains(file), "\($0)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out.h5ad")))
        }
        // The output may not replace an input, nor an existing file without overwrite.
        XCTAssertThrowsError(try AnnotationCombining.run(AnnotationCombiningSettings(inputs: [tmp.file("a.h5ad"), tmp.file("fewer.h5ad")], output: tmp.file("a.h5ad")))) {
            XCTAssertTrue("\($0)".contains("would replace the input"), "\($0)")
        }
        XCTAssertThrowsError(try AnnotationCombining.run(AnnotationCombiningSettings(inputs: [tmp.file("a.h5ad"), tmp.file("a.h5ad")], output: tmp.file("free.h5ad")))) {
            XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
        }
        // --overwrite replaces an earlier result, never another file of the user's.
        var combine = AnnotationCombiningSettings(inputs: [tmp.file("a.h5ad"), tmp.file("a.h5ad")], output: tmp.file("counts.h5ad"))
        combine.overwrite = true
        var counts = ResultTable()
        counts.index = ["c1"]
        counts.add("cell_type", ["B"])
        try counts.writeH5AD(tmp.file("counts.h5ad"))
        let before = try Data(contentsOf: URL(fileURLWithPath: tmp.file("counts.h5ad")))
        XCTAssertThrowsError(try AnnotationCombining.run(combine)) {
            XCTAssertTrue("\($0)".contains("is not an earlier c2s annotation result"), "\($0)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file("counts.h5ad"))), before)
        combine.output = tmp.file("free.h5ad")  // an earlier result (c2s_label): replaced
        XCTAssertNoThrow(try AnnotationCombining.run(combine))
        try "gene,count\nCD3E,1\n".write(toFile: tmp.file("mine.csv"), atomically: true, encoding: .utf8)
        combine.output = tmp.file("again.h5ad")
        combine.csv = tmp.file("mine.csv")
        XCTAssertThrowsError(try AnnotationCombining.run(combine)) { XCTAssertTrue("\($0)".contains("mine.csv"), "\($0)") }
        XCTAssertEqual(try String(contentsOfFile: tmp.file("mine.csv"), encoding: .utf8), "gene,count\nCD3E,1\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("again.h5ad")))
    }
}
