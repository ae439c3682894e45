import C2S
import CellSentences
import Foundation
import Prompts
import SingleCell
import TestSupport
import XCTest

/// The prompts workflow as a library call (what `c2s prompts` wraps): the tasks' mix, the
/// splits written beside the output and reused, notes instead of printing, and errors that
/// leave no output.
final class PromptDatasetWritingTests: XCTestCase {
    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func testWeightedTasksSplitsBesideTheOutputAndReuse() throws {
        let f = try C2SFixture.get()
        let tmp = try TemporaryFolder()
        var s = try PromptDatasetSettings(dataset: f.sentences, output: tmp.file("p.jsonl"),
                                          tasks: [("cell_type_prediction", 3), ("cell_type_generation", 1)])
        s.examples = 40
        s.topK = 8
        s.stratifyBy = "cell_type"
        let r = try PromptDatasetWriting.run(s)
        XCTAssertEqual(r.summary.total, 40)
        XCTAssertEqual(r.cells, 48)
        XCTAssertEqual(r.splitsPath, tmp.file("splits.json"))
        let first = try lines(tmp.file("p.jsonl"))
        XCTAssertEqual(first.count, 40)
        XCTAssertEqual(Set(first.map { $0["task"] as! String }), ["cell_type_prediction", "cell_type_generation"])
        let byTask = Dictionary(grouping: first, by: { $0["task"] as! String }).mapValues(\.count)
        XCTAssertGreaterThan(byTask["cell_type_prediction"]!, byTask["cell_type_generation"]!, "weights 3:1")
        XCTAssertEqual(r.summary.counts.values.map { $0.values.reduce(0, +) }.reduce(0, +), 40)

        // Reusing the splits puts every cell in the same split.
        var again = s
        again.output = tmp.file("again/p.jsonl")
        again.splits = tmp.file("splits.json")
        again.tasks = [("cell_type_prediction", nil)]
        again.examples = nil
        try FileManager.default.createDirectory(atPath: tmp.file("again"), withIntermediateDirectories: false)
        let r2 = try PromptDatasetWriting.run(again)
        XCTAssertEqual(r2.splitsPath, tmp.file("splits.json"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("again/splits.json")))
        let plan = try SplitPlan.read(path: tmp.file("splits.json"))
        for line in try lines(tmp.file("again/p.jsonl")) {
            XCTAssertEqual(line["split"] as? String, plan.split(of: line["cell_name"] as! String))
        }
    }

    /// Rank noise reads each cell deeper than the first k, so genes from below them can enter a
    /// training input (as in a second measurement); held-out prompts show the first k as measured.
    func testRankNoiseBringsGenesFromBelowTheFirstK() throws {
        let f = try C2SFixture.get()
        let tmp = try TemporaryFolder()
        var s = try PromptDatasetSettings(dataset: f.sentences, output: tmp.file("p.jsonl"), tasks: [("cell_type_prediction", 1)])
        s.examplesPerCell = 4
        s.topK = 8
        s.rankNoise = try RankNoise(sigma: 0.5)
        _ = try PromptDatasetWriting.run(s)
        let full = Dictionary(uniqueKeysWithValues: try CellTable.load(f.sentences, maxGenes: Int.max).cells.map {
            ($0.name, $0.sentence.split(separator: " ").map(String.init))
        })
        var fromBelow = 0, training = 0
        for line in try lines(tmp.file("p.jsonl")) {
            let genes = full[line["cell_name"] as! String]!
            let span = (line["input_sentence_spans"] as! [[Int]])[0]
            let scalars = Array((line["model_input"] as! String).unicodeScalars)
            let shown = String(String.UnicodeScalarView(scalars[span[0]..<span[1]])).split(separator: " ").map(String.init)
            XCTAssertTrue(Set(shown).isSubset(of: Set(genes)))
            XCTAssertEqual(shown.count, min(8, genes.count))
            if line["split"] as? String == "train" {
                training += 1
                if !Set(shown).isSubset(of: Set(genes.prefix(8))) { fromBelow += 1 }
            } else {
                XCTAssertEqual(shown, Array(genes.prefix(8)), "held-out prompts show the cell as measured")
            }
        }
        XCTAssertGreaterThan(training, 100)
        XCTAssertGreaterThan(Double(fromBelow) / Double(training), 0.2, "genes below the first 8 enter training inputs")
    }

    func testUnknownTaskIsAnErrorAndWritesNothing() throws {
        let f = try C2SFixture.get()
        let tmp = try TemporaryFolder()
        let s = try PromptDatasetSettings(dataset: f.sentences, output: tmp.file("p.jsonl"), tasks: [("cell_type_guessing", nil)])
        XCTAssertThrowsError(try PromptDatasetWriting.run(s)) { error in
            XCTAssertTrue("\(error)".contains("unknown task 'cell_type_guessing'"), "\(error)")
            XCTAssertEqual((error as? DataError)?.exitCode, 3)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [])
    }
}
