@testable import C2S
import CellSentences
import Evaluation
import Foundation
import Mechanics
import Prompts
import SingleCell
import TestSupport
import XCTest

/// `c2s subset-genes`: sentences kept to a gene subset, chosen by a list or as the highly
/// variable genes of the training cells only.
final class GeneSubsettingTests: XCTestCase {
    /// A count matrix of 40 cells: 30 genes of seeded noise, and LEAK, zero in the first 30
    /// cells (train) and strongly variable in the last 10 (test).
    func writeCounts(_ tmp: TemporaryFolder) throws -> (path: String, cells: [String]) {
        var rng = SplitMix64(seed: 3)
        let genes = (0..<30).map { "G\($0)" } + ["LEAK"]
        let cells = (0..<40).map { "c\($0)" }
        var text = "cell," + genes.joined(separator: ",") + "\n"
        for (i, cell) in cells.enumerated() {
            var row = (0..<30).map { g in Int(rng.next() % UInt64(2 + g % 7)) }
            row.append(i < 30 ? 0 : (i % 2 == 0 ? 60 : 0))
            text += cell + "," + row.map(String.init).joined(separator: ",") + "\n"
        }
        let path = tmp.file("counts.csv")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, cells)
    }

    func convert(_ input: String, to folder: String) throws {
        var options = ConversionOptions()
        options.preprocessing.minGenes = 0
        options.preprocessing.minCells = 0
        _ = try CellSentenceConverter.convert(try ExpressionReader.open(input), to: folder, options: options)
    }

    func writeSplits(_ tmp: TemporaryFolder, _ cells: [String]) throws -> String {
        var assignments: [String: String] = [:]
        for (i, c) in cells.enumerated() { assignments[c] = i < 30 ? "train" : "test" }
        let plan = SplitPlan(seed: 0, fractions: try SplitFractions(argument: "0.75,0,0.25"), stratifyBy: nil, groupBy: [], assignments: assignments)
        let path = tmp.file("splits.json")
        try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: path))
        return path
    }

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func testHighlyVariableGenesComeFromTheTrainCellsOnly() throws {
        let tmp = try TemporaryFolder()
        let (counts, cells) = try writeCounts(tmp)
        let sentences = tmp.file("sentences")
        try convert(counts, to: sentences)
        let splits = try writeSplits(tmp, cells)

        // All cells choose: LEAK, variable among the test cells, is the most variable gene.
        let all = try GeneSubsetting.run(GeneSubsetSettings(sentences: sentences, output: tmp.file("all"),
                                                            choice: .highlyVariable(count: 5, splits: nil, split: "train", input: nil)))
        XCTAssertTrue(all.genes.contains("LEAK"), "\(all.genes)")
        XCTAssertEqual(all.selectionCells, 40)
        // The train cells choose: LEAK is zero there, so it is not chosen.
        let train = try GeneSubsetting.run(GeneSubsetSettings(sentences: sentences, output: tmp.file("train"),
                                                              choice: .highlyVariable(count: 5, splits: splits, split: "train", input: nil)))
        XCTAssertFalse(train.genes.contains("LEAK"), "\(train.genes)")
        XCTAssertEqual(train.selectionCells, 30)
        // The selection is the Seurat-flavour HVGs of the train cells' counts normalised to 1e4
        // and ln(1 + x) (what the logistic-regression baseline of evaluate annotation reads).
        let table = try ExpressionMatrix.read(counts)
        let log = table.selecting(rows: Array(0..<30)).logNormalized(target: 1e4, base: .e).matrix
        let dataset = try SentenceDataset(folder: sentences)
        let columns = dataset.genes.map { table.genes.firstIndex(of: $0)! }
        let expected = try HighlyVariableGenes.seurat(log.selecting(columns: columns), top: 5).selected.map { dataset.genes[$0] }
        XCTAssertEqual(Set(train.genes), Set(expected))
        XCTAssertEqual(train.genes.count, 5)
        XCTAssertEqual(try String(contentsOfFile: tmp.file("train/genes.txt"), encoding: .utf8), train.genes.joined(separator: "\n") + "\n")

        // No train cell in the plan: refused, naming the file.
        XCTAssertThrowsError(try GeneSubsetting.run(GeneSubsetSettings(sentences: sentences, output: tmp.file("none"),
                                                                       choice: .highlyVariable(count: 5, splits: splits, split: "validation", input: nil)))) {
            XCTAssertTrue("\($0)".contains("splits.json") && "\($0)".contains("'validation'"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("none")))
    }

    func testSentencesKeepTheListedGenesInTheirOrder() throws {
        let tmp = try TemporaryFolder()
        let (counts, _) = try writeCounts(tmp)
        let sentences = tmp.file("sentences")
        try convert(counts, to: sentences)
        let list = tmp.file("genes.txt")
        try "# markers\nG3\n G5 \n\nG7\nG3\nNOT_A_GENE\nLEAK\n".write(toFile: list, atomically: true, encoding: .utf8)
        let r = try GeneSubsetting.run(GeneSubsetSettings(sentences: sentences, output: tmp.file("subset"), choice: .listed(path: list)))
        let dataset = try SentenceDataset(folder: sentences)
        XCTAssertEqual(r.genes, dataset.genes.filter { ["G3", "G5", "G7", "LEAK"].contains($0) })
        XCTAssertEqual(r.missing, ["NOT_A_GENE"])
        let keep = Set(r.genes)
        let before = try lines(sentences + "/cells.jsonl"), after = try lines(tmp.file("subset/cells.jsonl"))
        XCTAssertEqual(before.count, after.count)
        var lengths: [Int] = []
        for (b, a) in zip(before, after) {
            XCTAssertEqual(a["cell_name"] as? String, b["cell_name"] as? String)
            let kept = (b["cell_sentence"] as! String).split(separator: " ").filter { keep.contains(String($0)) }.joined(separator: " ")
            XCTAssertEqual(a["cell_sentence"] as? String, kept)
            lengths.append(kept.isEmpty ? 0 : kept.split(separator: " ").count)
        }
        let subset = try SentenceDataset(folder: tmp.file("subset"))
        XCTAssertEqual(subset.genes, r.genes)
        XCTAssertEqual(subset.geneCells, r.genes.map { g in dataset.geneCells[dataset.genes.firstIndex(of: g)!] })
        XCTAssertEqual(subset.manifest.sentences.maxLength, lengths.max())
        XCTAssertEqual(subset.manifest.sentences.meanLength, Double(lengths.reduce(0, +)) / Double(lengths.count), accuracy: 1e-12)
        XCTAssertEqual(subset.manifest.geneSubset?.genes, r.genes)
        XCTAssertEqual(subset.manifest.geneSubset?.genesRequested, 5)
        XCTAssertNil(subset.manifest.inverseTransform)
        XCTAssertNotNil(dataset.manifest.inverseTransform)
        XCTAssertThrowsError(try subset.model()) { XCTAssertTrue("\($0)".contains("reconstruct from"), "\($0)") }

        // A subset of a subset, a list of unknown genes, a list that is not one gene per line.
        XCTAssertThrowsError(try GeneSubsetting.run(GeneSubsetSettings(sentences: tmp.file("subset"), output: tmp.file("again"), choice: .listed(path: list)))) {
            XCTAssertTrue("\($0)".contains("already a gene subset"), "\($0)")
        }
        let unknown = tmp.file("unknown.txt"), bad = tmp.file("bad.txt"), empty = tmp.file("empty.txt")
        try "X1\nX2\n".write(toFile: unknown, atomically: true, encoding: .utf8)
        try "G1\nG2 G3\n".write(toFile: bad, atomically: true, encoding: .utf8)
        try "# nothing\n".write(toFile: empty, atomically: true, encoding: .utf8)
        for (file, message) in [(unknown, "none of the 2 genes"), (bad, "line 2 is not one gene name"), (empty, "lists no genes"),
                                (tmp.file("missing.txt"), "no such file")] {
            XCTAssertThrowsError(try GeneSubsetting.run(GeneSubsetSettings(sentences: sentences, output: tmp.file("out"), choice: .listed(path: file)))) {
                XCTAssertTrue("\($0)".contains(message), "\($0)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")))
        }
    }

    func testSentencesWithEscapedNamesAreCutWhereTheyAre() throws {
        let line = Array(#"{"cell_name":"a\"b","cell_sentence":"X\"1 Y Z\\2","n":3}"#.utf8)
        line.withUnsafeBufferPointer { buffer in
            let range = GeneSubsetting.rawStringRange(of: "cell_sentence", in: buffer)!
            XCTAssertEqual(String(decoding: buffer[range], as: UTF8.self), #"X\"1 Y Z\\2"#)
        }
        let (kept, count) = GeneSubsetting.restrict(Array(#"X"1 Y Z\2"#.utf8), keeping: [#"X"1"#, #"Z\2"#])
        XCTAssertEqual(String(decoding: kept, as: UTF8.self), #"X"1 Z\2"#)
        XCTAssertEqual(count, 2)
    }
}
