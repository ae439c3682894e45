import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SingleCell
import TestSupport
import XCTest

/// `c2s fit`, `c2s reconstruct` and `c2s report transform` end to end on kang-ifnb-sub2k.
final class ReportCLITests: XCTestCase {
    /// Counts elements and collects ids of an XHTML page; fails on malformed markup.
    final class Summary: NSObject, XMLParserDelegate {
        var ids: [String: String] = [:]  // id -> element
        var counts: [String: Int] = [:]
        var svgIDsWithRects: [String: Int] = [:]
        private var figureStack: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            counts[name, default: 0] += 1
            if let id = attributes["id"] { ids[id] = name }
            if name == "figure", let id = attributes["id"] { figureStack.append(id) }
            if name == "rect", let f = figureStack.last { svgIDsWithRects[f, default: 0] += 1 }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "figure" { _ = figureStack.popLast() }
        }
    }

    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func testFitReconstructAndReport() throws {
        let kang = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let tmp = try TemporaryFolder()
        let ds = tmp.file("kang")
        var r = try c2s(["convert", kang, "-o", ds, "--obs-columns", "seurat_annotations", "--fit-cells", "300", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["fit", ds, "--fit-by", "seurat_annotations", "--fit-cells", "100"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("per seurat_annotations fits"), r.stderr)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ds + "/manifest.json"))) as! [String: Any]
        let fit = manifest["inverse_transform"] as! [String: Any]
        XCTAssertEqual((fit["settings"] as! [String: Any])["sample_size"] as? Int, 100)
        XCTAssertEqual((fit["groups"] as! [Any]).count, 13)

        r = try c2s(["reconstruct", ds, "-o", tmp.file("rec.h5ad"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("rec.h5ad")))
        // --top-genes 5 equals reconstructing sentences cut to their first five words.
        let cut = try String(contentsOfFile: ds + "/cells.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            let cell = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return (cell["cell_sentence"] as! String).split(separator: " ").prefix(5).joined(separator: " ")
        }
        try (cut.joined(separator: "\n") + "\n").write(toFile: tmp.file("cut.txt"), atomically: true, encoding: .utf8)
        r = try c2s(["reconstruct", tmp.file("cut.txt"), "--dataset", ds, "-o", tmp.file("cut.h5ad"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["reconstruct", ds, "--top-genes", "5", "-o", tmp.file("top5.h5ad"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let top5 = try H5ADSource(path: tmp.file("top5.h5ad")), expected = try H5ADSource(path: tmp.file("cut.h5ad"))
        let rows = try top5.readRows(0..<top5.cellCount), want = try expected.readRows(0..<expected.cellCount)
        XCTAssertEqual(top5.cellCount, cut.count)
        XCTAssertEqual(rows.indptr, want.indptr)
        XCTAssertEqual(rows.indices, want.indices)
        XCTAssertEqual(rows.values, want.values)
        XCTAssertEqual(rows.indptr.last, 5 * cut.count, "five distinct genes per cell")

        r = try c2s(["report", "transform", ds, "-o", tmp.file("report"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try Data(contentsOf: URL(fileURLWithPath: tmp.file("report/report.html")))
        let parser = XMLParser(data: html)
        let summary = Summary()
        parser.delegate = summary
        XCTAssertTrue(parser.parse(), "report.html is not well-formed: \(String(describing: parser.parserError))")
        for id in ["expression-vs-rank", "reconstructed-vs-actual", "group-curves"] {
            XCTAssertEqual(summary.ids[id], "figure", "figure \(id) missing")
        }
        XCTAssertGreaterThan(summary.svgIDsWithRects["expression-vs-rank"] ?? 0, 100, "density plot has no bins")
        XCTAssertGreaterThan(summary.svgIDsWithRects["reconstructed-vs-actual"] ?? 0, 100)
        XCTAssertEqual(summary.counts["svg"], 3)
        XCTAssertNotNil(summary.ids["metrics"])
        XCTAssertNotNil(summary.ids["group-fits"])
        let text = String(decoding: html, as: UTF8.self)
        for external in ["<script", "<link", "src=\"http", "href=\"http", "url(http"] {
            XCTAssertFalse(text.contains(external), "report must be self-contained, found \(external)")
        }
    }

    func testErrorsForDatasetsWithoutWhatTheyNeed() throws {
        let tmp = try TemporaryFolder()
        // Not a dataset.
        var r = try c2s(["report", "transform", tmp.path, "-o", tmp.file("rep")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("manifest.json"), r.stderr)
        // A dataset converted without a fit.
        let csv = tmp.file("m.csv")
        try "cell,A,B,C\nc1,1,2,3\nc2,3,0,1\n".write(toFile: csv, atomically: true, encoding: .utf8)
        r = try c2s(["convert", csv, "-o", tmp.file("ds"), "--min-genes", "0", "--min-cells", "0", "--no-fit", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["reconstruct", tmp.file("ds"), "-o", tmp.file("x.h5ad")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("no inverse transform") && r.stderr.contains("c2s fit"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("x.h5ad")))
        // A sentence file without --dataset; an input that moved.
        try "A B\n".write(toFile: tmp.file("s.txt"), atomically: true, encoding: .utf8)
        r = try c2s(["reconstruct", tmp.file("s.txt"), "-o", tmp.file("x.h5ad")])
        XCTAssertTrue(r.stderr.contains("--dataset"), r.stderr)
        try FileManager.default.moveItem(atPath: csv, toPath: tmp.file("moved.csv"))
        r = try c2s(["fit", tmp.file("ds")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--input"), r.stderr)
        r = try c2s(["fit", tmp.file("ds"), "--input", tmp.file("moved.csv"), "--fit-cells", "2", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // A changed input is refused.
        try "cell,A,B,C\nc1,1,2,4\nc2,3,0,1\n".write(toFile: tmp.file("moved.csv"), atomically: true, encoding: .utf8)
        r = try c2s(["fit", tmp.file("ds"), "--input", tmp.file("moved.csv")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("has changed"), r.stderr)
    }
}

/// `c2s prompts` end to end: outputs, reusable splits, and bad task files.
final class PromptsCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func testPromptsSplitsAndBadTaskFiles() throws {
        let tmp = try TemporaryFolder()
        let csv = tmp.file("m.csv")
        var text = "cell,CD3E,MS4A1,LYZ,NKG7,GNLY,B2M,cell_type_dummy\n"
        text = "cell," + (0..<30).map { "G\($0)" }.joined(separator: ",") + "\n"
        for c in 0..<60 { text += "c\(c)," + (0..<30).map { String(($0 * 7 + c * 3) % 5) }.joined(separator: ",") + "\n" }
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertEqual(try c2s(["convert", csv, "-o", tmp.file("ds"), "--min-genes", "0", "--min-cells", "0", "--quiet"]).status, 0)
        // A dataset without labels still gives unconditional examples.
        var r = try c2s(["prompts", tmp.file("ds"), "--task", "unconditional_generation", "--top-k", "5", "-o", tmp.file("out/p.jsonl")])
        XCTAssertNotEqual(r.status, 0, "the output folder does not exist")
        try FileManager.default.createDirectory(atPath: tmp.file("out"), withIntermediateDirectories: true)
        r = try c2s(["prompts", tmp.file("ds"), "--task", "unconditional_generation", "--top-k", "5", "-o", tmp.file("out/p.jsonl")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOfFile: tmp.file("out/p.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 60)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual(Set(first.keys), ["task", "split", "cell_name", "model_input", "response", "input_sentence_spans"])
        XCTAssertEqual((first["response"] as! String).split(separator: " ").count, 5)
        XCTAssertEqual((first["input_sentence_spans"] as? [Any])?.count, 0, "a generation input shows no sentence")
        // The same file with --threads 1: the same bytes.
        r = try c2s(["prompts", tmp.file("ds"), "--task", "unconditional_generation", "--top-k", "5", "--threads", "1",
                     "--splits", tmp.file("out/splits.json"), "-o", tmp.file("out/p1.jsonl")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file("out/p1.jsonl"))),
                       try Data(contentsOf: URL(fileURLWithPath: tmp.file("out/p.jsonl"))))
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("out/splits.json")))
        // A second run must reuse the splits (or overwrite explicitly).
        r = try c2s(["prompts", tmp.file("ds"), "--task", "unconditional_generation", "-o", tmp.file("out/q.jsonl")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--splits"), r.stderr)
        r = try c2s(["prompts", tmp.file("ds"), "--task", "unconditional_generation", "-o", tmp.file("out/q.jsonl"), "--splits", tmp.file("out/splits.json"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let splitOf = { (path: String) -> [String: String] in
            try! String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").reduce(into: [:]) { m, l in
                let o = try! JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
                m[o["cell_name"] as! String] = o["split"] as? String
            }
        }
        XCTAssertEqual(splitOf(tmp.file("out/p.jsonl")), splitOf(tmp.file("out/q.jsonl")))
        // Bad task files: a clear error naming the file, no output.
        let bad = tmp.file("tasks.json")
        try #"{"name": "mine", "kind": "single_cell", "input_templates": ["Genes {cell_sentense}:"], "response_template": "{label}"}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        r = try c2s(["prompts", tmp.file("ds"), "--task-file", bad, "--task", "mine", "-o", tmp.file("out/bad.jsonl"), "--splits", tmp.file("out/splits.json")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("tasks.json") && r.stderr.contains("cell_sentense") && r.stderr.contains("cell_sentence"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out/bad.jsonl")))
        try "{not json".write(toFile: bad, atomically: true, encoding: .utf8)
        r = try c2s(["prompts", tmp.file("ds"), "--task-file", bad, "--task", "mine", "-o", tmp.file("out/bad.jsonl"), "--splits", tmp.file("out/splits.json")])
        XCTAssertTrue(r.stderr.contains("tasks.json") && r.stderr.contains("JSON"), r.stderr)
        r = try c2s(["prompts", tmp.file("ds"), "--task", "no_such_task", "-o", tmp.file("out/bad.jsonl")])
        XCTAssertTrue(r.stderr.contains("unknown task") && r.stderr.contains("cell_type_prediction"), r.stderr)
    }
}
