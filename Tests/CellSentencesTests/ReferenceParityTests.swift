import CellSentences
import Foundation
import SingleCell
import TestSupport
import XCTest

/// Our sentences against cell2sentence 1.2.0 on every cell of kang-ifnb-sub2k
/// (fixture made by scripts/fixtures/make_c2s_fixtures.py).
final class ReferenceParityTests: XCTestCase {
    func convertKang(threads: Int, blockSize: Int, into folder: TemporaryFolder, name: String = "kang",
                     tieOrder: TieOrder = .seeded, seed: UInt64 = 0) throws -> (String, DatasetManifest, H5ADSource) {
        let path = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let source = try H5ADSource(path: path)
        var options = ConversionOptions()
        options.preprocessing.minGenes = 0
        options.preprocessing.minCells = 0
        options.preprocessing.targetSum = .fixed(1e4)
        options.preprocessing.log = .base(10)
        options.obsColumns = ["seurat_annotations", "stim"]
        options.threads = threads
        options.blockSize = blockSize
        options.tieOrder = tieOrder
        options.seed = seed
        let out = folder.file(name)
        let manifest = try CellSentenceConverter.convert(source, to: out, options: options)
        return (out, manifest, source)
    }

    static func readLines(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func testSentencesMatchReferenceOnEveryCell() throws {
        let tmp = try TemporaryFolder()
        let (out, manifest, source) = try convertKang(threads: 2, blockSize: 512, into: tmp)
        let fixture = try loadGzipJSON("c2s/kang_sentences.json.gz") as! [String: Any]

        // Vocabulary: same genes, same order, same counts.
        let vocabLines = try String(contentsOfFile: out + "/vocab.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
        let ours = vocabLines.map { $0.split(separator: "\t").map(String.init) }
        let reference = (fixture["vocab"] as! [[Any]]).map { ["\($0[0])", "\($0[1])"] }
        XCTAssertEqual(ours.count, reference.count)
        XCTAssertEqual(ours, reference, "vocabulary differs from cell2sentence's")

        // Every cell: name, number of genes, and the tie-block canonical form.
        let lines = try Self.readLines(out + "/cells.jsonl")
        let cells = fixture["cells"] as! [[Any]]
        XCTAssertEqual(lines.count, cells.count)
        XCTAssertEqual(manifest.counts.cellsKept, 2000)
        let raw = try source.readRows(0..<source.cellCount)
        let column = Dictionary(uniqueKeysWithValues: source.geneNames.enumerated().map { ($1.uppercased(), $0) })
        let labels = fixture["labels"] as! [String: [String]]
        var mismatches = 0
        for (i, line) in lines.enumerated() {
            let sentence = (line["cell_sentence"] as! String).split(separator: " ").map(String.init)
            XCTAssertEqual(line["cell_name"] as? String, cells[i][0] as? String)
            XCTAssertEqual(sentence.count, cells[i][1] as? Int)
            XCTAssertEqual(line["seurat_annotations"] as? String, labels["seurat_annotations"]![i])
            XCTAssertEqual(line["stim"] as? String, labels["stim"]![i])
            var counts: [Int: Float] = [:]
            for k in raw.range(ofRow: i) { counts[Int(raw.indices[k])] = raw.values[k] }
            let values = sentence.map { counts[column[$0]!]! }
            XCTAssertEqual(values, values.sorted(by: >), "cell \(i) is not in descending order")
            if tieHash(sentence, values) != cells[i][2] as? String { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0, "cells whose genes or value sequence differ from the reference")

        // The first cells in full: the same values in the same sequence.
        let block = try source.readRows(0..<5)
        var plainOptions = PreprocessingOptions()
        plainOptions.minGenes = 0; plainOptions.minCells = 0
        let plan = try Preprocessor.plan(source, options: plainOptions)
        let (normalised, _) = plan.apply(to: block)
        for (i, full) in (fixture["full"] as! [[String: Any]]).enumerated() {
            let refGenes = (full["sentence"] as! String).split(separator: " ").map(String.init)
            let refValues = full["values"] as! [Double]
            var value: [String: Float] = [:]
            for k in normalised.range(ofRow: i) { value[source.geneNames[Int(normalised.indices[k])].uppercased()] = normalised.values[k] }
            let ourGenes = (lines[i]["cell_sentence"] as! String).split(separator: " ").map(String.init)
            XCTAssertEqual(Set(ourGenes), Set(refGenes))
            for (k, gene) in ourGenes.enumerated() {
                XCTAssertEqual(Double(value[gene]!), refValues[k], accuracy: 1e-6 * max(1, refValues[k]), "cell \(i) position \(k)")
            }
        }
    }

    /// The canonical tie-block string of the fixture script, hashed.
    func tieHash(_ genes: [String], _ values: [Float]) -> String {
        var runs: [[String]] = []
        var last: Float = -1
        for (g, v) in zip(genes, values) {
            if v == last { runs[runs.count - 1].append(g) } else { runs.append([g]); last = v }
        }
        let text = runs.map { $0.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.joined(separator: ",") }.joined(separator: "|")
        return String(FileChecksum.sha256(bytes: Array(text.utf8)).prefix(16))
    }

    /// With the reference's tie order and seed 42, every sentence is byte-identical to
    /// cell2sentence 1.2.0's (fixture: sha256 of each reference sentence).
    func testReferenceTieOrderReproducesEverySentenceExactly() throws {
        let tmp = try TemporaryFolder()
        let (out, _, _) = try convertKang(threads: 2, blockSize: 300, into: tmp, tieOrder: .reference, seed: 42)
        let fixture = try loadGzipJSON("c2s/kang_sentences.json.gz") as! [String: Any]
        let cells = fixture["cells"] as! [[Any]]
        let lines = try Self.readLines(out + "/cells.jsonl")
        var mismatches = 0
        for (i, line) in lines.enumerated() {
            let hash = String(FileChecksum.sha256(bytes: Array((line["cell_sentence"] as! String).utf8)).prefix(16))
            if hash != cells[i][3] as? String { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0, "sentences differing from cell2sentence 1.2.0's")
        XCTAssertEqual(lines.first?["cell_sentence"] as? String, (fixture["full"] as! [[String: Any]])[0]["sentence"] as? String)
    }

    func testOutputIndependentOfThreadsAndBlockSize() throws {
        let tmp = try TemporaryFolder()
        let (a, _, _) = try convertKang(threads: 1, blockSize: 37, into: tmp, name: "a")
        let (b, _, _) = try convertKang(threads: 2, blockSize: 4096, into: tmp, name: "b")
        for file in ["cells.jsonl", "vocab.tsv"] {
            XCTAssertEqual(FileManager.default.contents(atPath: a + "/" + file), FileManager.default.contents(atPath: b + "/" + file), file)
        }
    }
}
