import CellSentences
import Foundation
import Mechanics
import SingleCell
import TestSupport
import XCTest

/// The converter on small hand-made matrices, where every expected line can be worked out.
final class ConverterTests: XCTestCase {
    func source(_ rows: [[Float]], genes: [String], stored zeros: Bool = false) -> InMemorySource {
        var indptr = [0], indices: [Int32] = [], values: [Float] = []
        for row in rows {
            for (c, v) in row.enumerated() where v != 0 || zeros {
                indices.append(Int32(c)); values.append(v)
            }
            indptr.append(indices.count)
        }
        let obs = DataFrame(index: rows.indices.map { "cell\($0)" },
                            columns: [Column("label", .categorical(codes: rows.indices.map { Int32($0 % 2) }, categories: ["a", "b"]))])
        return InMemorySource(path: "test.h5ad", matrix: CSRRows(firstRow: 0, indptr: indptr, indices: indices, values: values),
                              obs: obs, genes: DataFrame(index: genes))
    }

    func lines(_ folder: String) throws -> [[String: Any]] {
        try String(contentsOfFile: folder + "/cells.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func options(_ body: (inout ConversionOptions) -> Void = { _ in }) -> ConversionOptions {
        var o = ConversionOptions()
        o.preprocessing.minGenes = 0
        o.preprocessing.minCells = 0
        o.checksum = false  // the matrices here are not files
        body(&o)
        return o
    }

    func testStoredZerosNeverAppearAndAreNotCounted() throws {
        let tmp = try TemporaryFolder()
        let src = source([[3, 0, 1], [0, 2, 0]], genes: ["A", "B", "C"], stored: true)
        _ = try CellSentenceConverter.convert(src, to: tmp.file("out"), options: options())
        let l = try lines(tmp.file("out"))
        XCTAssertEqual(l.map { $0["cell_sentence"] as? String }, ["A C", "B"])
        XCTAssertEqual(try String(contentsOfFile: tmp.file("out/vocab.tsv"), encoding: .utf8), "gene\tn_cells\nA\t1\nB\t1\nC\t1\n")
    }

    func testFiltersQCColumnsAndManifestCounts() throws {
        let tmp = try TemporaryFolder()
        // cell2 has one expressed gene and is dropped by min-genes 2; gene D is then in one cell.
        let src = source([[5, 1, 0, 0], [2, 2, 1, 0], [0, 0, 0, 9], [1, 0, 3, 1]], genes: ["A", "B", "MT-C", "D"])
        let m = try CellSentenceConverter.convert(src, to: tmp.file("out"), options: options {
            $0.preprocessing.minGenes = 2
            $0.preprocessing.minCells = 2
            $0.obsColumns = ["label", "n_genes_by_counts", "total_counts", "pct_counts_mt"]
        })
        XCTAssertEqual(m.counts.cellsIn, 4)
        XCTAssertEqual(m.counts.cellsDroppedMinGenes, 1)
        XCTAssertEqual(m.counts.genesDroppedMinCells, 1)  // D: only cell3 among kept cells
        XCTAssertEqual(m.counts.cellsKept, 3)
        let l = try lines(tmp.file("out"))
        XCTAssertEqual(l.map { $0["cell_name"] as? String }, ["cell0", "cell1", "cell3"])
        XCTAssertEqual(l.map { $0["label"] as? String }, ["a", "b", "b"])
        XCTAssertEqual(l[2]["cell_sentence"] as? String, "MT-C A")
        XCTAssertEqual(l[2]["total_counts"] as? Double, 4)
        XCTAssertEqual(l[2]["n_genes_by_counts"] as? Int, 2)
        XCTAssertEqual(l[2]["pct_counts_mt"] as? Double, 75)
        XCTAssertEqual(m.targetSumUsed, 1e4)
        let manifest = try DatasetManifest.read(folder: tmp.file("out"))
        XCTAssertEqual(manifest, m)
    }

    /// The tie order is an enum in the manifest type and a sentence in manifest.json (the text
    /// datasets have always carried), read back into the enum; unknown text is an error.
    func testTieOrderRoundTripsThroughTheManifestAsItsSentence() throws {
        for order in TieOrder.allCases {
            let tmp = try TemporaryFolder()
            let src = source([[5, 1], [2, 2]], genes: ["A", "B"])
            let m = try CellSentenceConverter.convert(src, to: tmp.file("out"), options: options { $0.tieOrder = order })
            XCTAssertEqual(m.sentences.tieBreak, order)
            let text = try String(contentsOfFile: tmp.file("out/manifest.json"), encoding: .utf8)
            XCTAssertTrue(text.contains("\"tie_break\" : \"\(order.manifestText)\""), text)
            XCTAssertEqual(try DatasetManifest.read(folder: tmp.file("out")).sentences.tieBreak, order)
            try text.replacingOccurrences(of: order.manifestText, with: "alphabetical").write(toFile: tmp.file("out/manifest.json"), atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try DatasetManifest.read(folder: tmp.file("out"))) { XCTAssertTrue("\($0)".contains("alphabetical"), "\($0)") }
        }
        XCTAssertTrue(TieOrder.reference.manifestText.hasPrefix("reference: one MT19937 stream"))
        XCTAssertEqual(TieOrder.seeded.manifestText, "seeded shuffle per (seed, input row) then stable sort by value, descending")
    }

    /// The organism alone is read through the manifest's own key, leniently: from a manifest
    /// the full reader accepts, from one it does not (an older or newer version), and never
    /// failing on a missing file, key or object.
    func testOrganismIsReadAloneThroughTheManifestKey() throws {
        let tmp = try TemporaryFolder()
        let src = source([[5, 1], [2, 2]], genes: ["A", "B"])
        let m = try CellSentenceConverter.convert(src, to: tmp.file("out"), options: options { $0.organism = "Mus musculus" })
        XCTAssertEqual(m.organism, "Mus musculus")
        XCTAssertEqual(DatasetManifest.organism(folder: tmp.file("out")), "Mus musculus")
        let cases: [(String, String?)] = [(#"{"organism": "Danio rerio", "format_version": 99}"#, "Danio rerio"), (#"{"format_version": 1}"#, nil),
                                          (#"{"organism": null}"#, nil), (#"{"organism": 3}"#, nil), ("[1]", nil), ("not json", nil)]
        for (text, expected) in cases {
            try text.write(toFile: tmp.file("out/manifest.json"), atomically: true, encoding: .utf8)
            XCTAssertEqual(DatasetManifest.organism(folder: tmp.file("out")), expected, text)
        }
        XCTAssertNil(DatasetManifest.organism(folder: tmp.file("none")))
    }

    /// Repeated cell names: refused by `c2s convert`'s policy, or made unique exactly as
    /// anndata's obs_names_make_unique does (fixture: scripts/fixtures/make_unique_names_fixture.py).
    func testRepeatedCellNamesAreRefusedOrMadeUniqueAsAnnData() throws {
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.fixtures.appendingPathComponent("naming/unique_names.json"))) as! [String: Any]
        for case_ in fixture["cases"] as! [[String: Any]] {
            let names = case_["names"] as! [String], unique = case_["unique"] as! [String]
            let r = DuplicateCellNames.uniqueNames(names)
            XCTAssertEqual(r.names, unique, "\(names)")
            XCTAssertEqual(r.renamed, zip(names, unique).filter { $0 != $1 }.count)
            XCTAssertEqual(DuplicateCellNames.firstRepeat(names) == nil, Set(names).count == names.count)
        }
        let rows: [[Float]] = [[5, 1], [2, 2], [1, 3], [4, 4]]
        let base = source(rows, genes: ["A", "B"])
        let src = InMemorySource(path: "dup.h5ad", matrix: try base.readRows(0..<4),
                                 obs: DataFrame(index: ["x", "y", "x", "x"]), genes: DataFrame(index: ["A", "B"]))
        let tmp = try TemporaryFolder()
        XCTAssertThrowsError(try CellSentenceConverter.convert(src, to: tmp.file("no"), options: options { $0.duplicateCellNames = .error })) { error in
            XCTAssertTrue("\(error)".contains("dup.h5ad") && "\(error)".contains("'x' appears 3 times"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("no")))
        let m = try CellSentenceConverter.convert(src, to: tmp.file("yes"), options: options { $0.duplicateCellNames = .makeUnique })
        XCTAssertEqual(try lines(tmp.file("yes")).map { $0["cell_name"] as? String }, ["x", "y", "x-1", "x-2"])
        XCTAssertTrue(m.warnings.contains { $0.contains("2 repeated cell name(s) were made unique") }, "\(m.warnings)")
        // The library's default keeps them (inputs converted on the fly by the task commands).
        _ = try CellSentenceConverter.convert(src, to: tmp.file("kept"), options: options())
        XCTAssertEqual(try lines(tmp.file("kept")).map { $0["cell_name"] as? String }, ["x", "y", "x", "x"])
    }

    func testMedianTargetIsRecorded() throws {
        let tmp = try TemporaryFolder()
        let src = source([[5, 1], [2, 2], [1, 0]], genes: ["A", "B"])
        let m = try CellSentenceConverter.convert(src, to: tmp.file("out"), options: options { $0.preprocessing.targetSum = .median })
        XCTAssertEqual(m.targetSumUsed, 4)
    }

    func testFilteringEverythingIsAClearErrorAndLeavesNothing() throws {
        let tmp = try TemporaryFolder()
        let src = source([[1, 0], [0, 1]], genes: ["A", "B"])
        XCTAssertThrowsError(try CellSentenceConverter.convert(src, to: tmp.file("out"), options: options { $0.preprocessing.minGenes = 5 })) { error in
            XCTAssertTrue("\(error)".contains("every cell was removed"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [])
    }

    func testNegativeValueNamesCellAndRenamedGene() throws {
        let tmp = try TemporaryFolder()
        let src = source([[1, 2, -1]], genes: ["a1", "A1", "b"])
        XCTAssertThrowsError(try CellSentenceConverter.convert(src, to: tmp.file("out"), options: options { $0.naming = GeneNaming(policy: .keepFirst) })) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("test.h5ad") && text.contains("'cell0'") && text.contains("'B'") && text.contains("negative"), text)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [])
    }
}

final class JSONTextTests: XCTestCase {
    func testEscapingFastAndSlowPathsAgree() throws {
        for text in ["plain gene list A B C", "quote \" inside", "back\\slash", "tab\there", "é ü ñ unicode ✓", "x\u{1}y",
                     String(repeating: "ABCDEFGH", count: 9) + "\"", String(repeating: "long ", count: 40)] {
            var out: [UInt8] = []
            JSONText.appendString(text, to: &out)
            let decoded = try JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed]) as? String
            XCTAssertEqual(decoded, text)
        }
    }
}
