import CellSentences
import Foundation
import SingleCell
import TestSupport
import XCTest

final class ReconstructionTests: XCTestCase {
    let vocab = ["CD3D", "CD3E", "MS4A1", "LYZ", "NKG7", "GNLY", "B2M"]

    func parse(_ s: String) -> ParsedSentence { SentencePostProcessor.parse(s, lookup: GeneLookup(vocab)) }

    /// Where the reference is right (no repeats, exact case), our values equal its
    /// `reconstruct_expression_from_cell_sentence` output; where it is wrong, ours follow the
    /// paper's definition (fixture from scripts/fixtures/make_inverse_fixtures.py).
    func testAgainstReferenceReconstruction() throws {
        let fx = try loadGzipJSON("c2s/kang_inverse.json.gz") as! [String: Any]
        let model = LinearRankModel(slope: (fx["reconstruct_slope"] as! NSNumber).doubleValue,
                                    intercept: (fx["reconstruct_intercept"] as! NSNumber).doubleValue)
        XCTAssertEqual(fx["reconstruct_vocab"] as! [String], vocab)
        for case let c as [String: Any] in fx["reconstruct"] as! [Any] {
            let sentence = c["sentence"] as! String
            let reference = c["vector"] as! [Double]
            let p = parse(sentence)
            var ours = [Double](repeating: 0, count: vocab.count)
            for (g, pos) in zip(p.genes, p.positions) { ours[Int(g)] = model.expression(atPosition: pos) }
            switch sentence {
            case "CD3D CD3D MS4A1":
                // Reference: the later copy overwrites (position 1). Paper: the mean position, 0.5.
                XCTAssertEqual(ours[0], model.expression(atPosition: 0.5), accuracy: 1e-12)
                XCTAssertEqual(ours[2], reference[2], accuracy: 1e-6)
            case "cd3d B2M":
                // Reference: case-sensitive, so cd3d is lost. Ours matches it to CD3D.
                XCTAssertEqual(ours[0], model.expression(atPosition: 0), accuracy: 1e-12)
                XCTAssertEqual(ours[6], reference[6], accuracy: 1e-6)
            default:
                for i in 0..<vocab.count { XCTAssertEqual(ours[i], reference[i], accuracy: 1e-6, "\(sentence) gene \(vocab[i])") }
            }
        }
    }

    func testPostProcessingDefinitions() {
        // Unknown words keep their position; repeats get the mean position; case-insensitive.
        let a = parse("cd3d ms4a1 foo CD3D lyz")
        XCTAssertEqual(a.genes.map { vocab[Int($0)] }, ["CD3D", "MS4A1", "LYZ"])
        XCTAssertEqual(a.positions, [1.5, 1, 4])
        XCTAssertEqual(a.words, 5)
        XCTAssertEqual(a.validWords, 4)
        XCTAssertEqual(a.uniqueGenes, 3)
        // Runs of whitespace are one separator (the reference made an empty word).
        let b = parse("LYZ  LYZ\tB2M\n")
        XCTAssertEqual(b.positions, [0.5, 2])
        XCTAssertEqual(b.words, 3)
        // Punctuation attached to genes is stripped; a final period no longer hides the last gene.
        let c = parse("(NKG7), GNLY; B2M.")
        XCTAssertEqual(c.genes.map { vocab[Int($0)] }, ["NKG7", "GNLY", "B2M"])
        XCTAssertEqual(c.positions, [0, 1, 2])
        // Nothing valid; empty sentence.
        XCTAssertEqual(parse("A B C").validWords, 0)
        XCTAssertEqual(parse("").words, 0)
        XCTAssertEqual(parse("NKG7 GNLY NKG7 GNLY CD3E NKG7").positions, [(0 + 2 + 5) / 3, 2, 4])
    }

    func testGeneLookupExactThenFoldedAndAmbiguity() {
        let lookup = GeneLookup(["Actb", "ACTB", "Cd3e", "RP11-34P13.7"])
        XCTAssertEqual(lookup.index(of: "Actb"), 0)
        XCTAssertEqual(lookup.index(of: "ACTB"), 1)
        XCTAssertNil(lookup.index(of: "actb"), "ambiguous once case is ignored")
        XCTAssertEqual(lookup.index(of: "CD3E"), 2)
        XCTAssertEqual(lookup.index(of: "rp11-34p13.7"), 3)
        XCTAssertNil(lookup.index(of: "RP11"))
        XCTAssertEqual(SentencePostProcessor.parse("RP11-34P13.7.", lookup: lookup).genes, [3])
    }

    func testJSONLineParser() throws {
        var sentence: [UInt8] = []
        let line = #"{"cell_name":"c\"1","x":[1,{"a":"}"}],"cell_sentence":"CD3E \u00c9 B2M","n":-2.5e1,"ok":true,"z":null}"#
        let r = try Array(line.utf8).withUnsafeBufferPointer {
            try JSONLineParser.parse($0, sentenceField: Array("cell_sentence".utf8), sentence: &sentence)
        }
        XCTAssertTrue(r.found)
        XCTAssertEqual(String(decoding: sentence, as: UTF8.self), "CD3E É B2M")
        XCTAssertEqual(r.fields.map(\.0), ["cell_name", "x", "n", "ok", "z"])
        XCTAssertEqual(r.fields[0].1, .string("c\"1"))
        XCTAssertEqual(r.fields[1].1, .other(#"[1,{"a":"}"}]"#))
        XCTAssertEqual(r.fields[2].1, .number(-25))
        XCTAssertEqual(r.fields[3].1, .bool(true))
        XCTAssertEqual(r.fields[4].1, .null)
        for bad in [#"{"a":1"#, #"{"a" 1}"#, #"{"a":tru}"#, "[1,2]", #"{"a":"x"} extra"#] {
            XCTAssertThrowsError(try Array(bad.utf8).withUnsafeBufferPointer {
                try JSONLineParser.parse($0, sentenceField: [], sentence: &sentence)
            }, bad)
        }
    }

    func testReconstructFileToH5AD() throws {
        let tmp = try TemporaryFolder()
        let input = tmp.file("generated.jsonl")
        try """
        {"cell_name":"g1","cell_type":"T","cell_sentence":"CD3E CD3D foo B2M"}
        {"cell_name":"g2","cell_type":"B","cell_sentence":"MS4A1 B2M MS4A1"}
        {"cell_name":"g3","cell_type":"T","cell_sentence":""}

        """.write(toFile: input, atomically: true, encoding: .utf8)
        let model = LinearRankModel(slope: -2, intercept: 1)
        var options = ReconstructionOptions()
        let s = try SentenceReconstruction.run(input: input, vocabulary: vocab, model: model, output: tmp.file("out.h5ad"), options: options)
        XCTAssertEqual(s.sentences, 3)
        XCTAssertEqual(s.emptySentences, 1)
        XCTAssertEqual(s.words, 7)
        XCTAssertEqual(s.validWords, 6)
        XCTAssertEqual(s.uniqueGenes, 5)
        let back = try H5ADSource(path: tmp.file("out.h5ad"))
        XCTAssertEqual(back.obs.index, ["g1", "g2", "g3"])
        XCTAssertEqual(back.geneNames, vocab)
        XCTAssertEqual(back.obs.column("n_words")?.values, .integers([4, 3, 0]))
        XCTAssertEqual(back.obs.column("cell_type")?.values.text(at: 1), "B")
        let rows = try back.readRows(0..<3)
        // g1: CD3E at 0 -> 1; CD3D at 1 -> 1 - 2 log10(2); B2M at 3 -> 1 - 2 log10(4) < 0 -> clipped, not stored.
        XCTAssertEqual(Array(rows.indices[rows.range(ofRow: 0)]), [0, 1])
        XCTAssertEqual(Double(rows.values[0]), 1 - 2 * log10(2.0), accuracy: 1e-6)
        XCTAssertEqual(Double(rows.values[1]), 1, accuracy: 1e-6)
        XCTAssertEqual(rows.range(ofRow: 2).count, 0)
        // Without clipping the negative value is kept.
        options.clip = false
        options.overwrite = true
        _ = try SentenceReconstruction.run(input: input, vocabulary: vocab, model: model, output: tmp.file("out.h5ad"), options: options)
        let unclipped = try H5ADSource(path: tmp.file("out.h5ad")).readRows(0..<1)
        XCTAssertEqual(unclipped.range(ofRow: 0).count, 3)
        XCTAssertEqual(Double(unclipped.values[2]), 1 - 2 * log10(4.0), accuracy: 1e-6)
    }

    func testBadSentenceFilesAreClearErrorsAndLeaveNothing() throws {
        let tmp = try TemporaryFolder()
        let cases: [(String, String, String)] = [
            ("bad.jsonl", "{\"cell_sentence\":\"CD3E\"}\n{\"cell_sentence\": CD3E}\n", "line 2 is not valid JSON"),
            ("nofield.jsonl", "{\"text\":\"CD3E\"}\n", "no field 'cell_sentence' (fields: text)"),
            ("empty.txt", "\n\n", "no sentences"),
            ("binary.txt", "CD3E\u{0}B2M\n", "NUL"),
        ]
        for (name, content, message) in cases {
            try content.write(toFile: tmp.file(name), atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try SentenceReconstruction.run(input: tmp.file(name), vocabulary: vocab, model: .init(slope: -1, intercept: 1),
                                                                output: tmp.file("out.h5ad"), options: .init())) { error in
                XCTAssertTrue("\(error)".contains(name) && "\(error)".contains(message), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out.h5ad")))
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.hasPrefix(".") }, [])
        }
    }
}
