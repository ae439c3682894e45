import Foundation
import TestSupport
import XCTest

/// `c2s prompts --templates N`: only the first N input templates of each task are drawn.
final class PromptTemplatesCLITests: XCTestCase {
    var tmp: TemporaryFolder!
    var labels = Set<String>()

    override func setUpWithError() throws {
        tmp = try TemporaryFolder()
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: TestPaths.c2sExecutable), "c2s not built at \(TestPaths.c2sExecutable)")
    }

    override func tearDown() { tmp.remove() }

    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    /// The distinct model inputs of the file once each cell type name is replaced by `{label}`.
    func inputShapes(_ path: String) throws -> Set<String> {
        var shapes = Set<String>()
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            var input = try XCTUnwrap(object["model_input"] as? String)
            for label in labels { input = input.replacingOccurrences(of: label, with: "{label}") }
            shapes.insert(input)
        }
        return shapes
    }

    func testTemplatesKeepsTheFirstTemplatesOfEachTask() throws {
        var r = try c2s(["simulate", "--cells", "40", "--genes", "150", "--cell-types", "2", "--seed", "3", "-o", tmp.file("sim.h5ad"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", tmp.file("sim.h5ad"), "-o", tmp.file("ds"), "--obs-columns", "cell_type", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        labels = Set(try String(contentsOfFile: tmp.file("ds/cells.jsonl"), encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["cell_type"] as! String
        })
        XCTAssertEqual(labels.count, 2)
        let common = ["prompts", tmp.file("ds"), "--task", "cell_type_generation", "--examples", "40", "--top-k", "3", "--quiet"]
        r = try c2s(common + ["-o", tmp.file("all.jsonl")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertGreaterThan(try inputShapes(tmp.file("all.jsonl")).count, 2, "the built-in task has several templates")
        r = try c2s(common + ["--templates", "1", "--splits", tmp.file("splits.json"), "-o", tmp.file("one.jsonl")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try inputShapes(tmp.file("one.jsonl")).count, 1)
        r = try c2s(common + ["--templates", "2", "--splits", tmp.file("splits.json"), "-o", tmp.file("two.jsonl")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try inputShapes(tmp.file("two.jsonl")).count, 2)
        r = try c2s(common + ["--templates", "0", "--splits", tmp.file("splits.json"), "-o", tmp.file("none.jsonl")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--templates"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("none.jsonl")))
    }
}
