import Foundation
import SingleCell
import TestSupport
import XCTest

/// `c2s reconstruct DATASET --splits F --split S --where column=value`: exactly the selected
/// cells, with the same rows as a reconstruction of every cell.
final class ReconstructSelectionCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func testSplitAndConditionSelectTheRightCellsAndRows() throws {
        let tmp = try TemporaryFolder()
        let counts = tmp.file("sim.h5ad"), sentences = tmp.file("sentences")
        var r = try c2s(["simulate", "--cells", "60", "--genes", "120", "--cell-types", "3", "--seed", "4", "-o", counts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", counts, "-o", sentences, "--obs-columns", "cell_type", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["prompts", sentences, "--task", "cell_type_prediction", "--label-column", "cell_type", "--stratify-by", "cell_type",
                     "--top-k", "8", "-o", tmp.file("prompts.jsonl"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["reconstruct", sentences, "-o", tmp.file("all.h5ad"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)

        // What the selection should keep, from the files themselves.
        let splits = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("splits.json")))) as! [String: Any]
        let assigned = try XCTUnwrap(splits["assignments"] as? [String: String], "\(splits.keys)")
        let cells = try String(contentsOfFile: sentences + "/cells.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let typeOf = Dictionary(uniqueKeysWithValues: cells.map { ($0["cell_name"] as! String, $0["cell_type"] as! String) })
        let someType = typeOf.values.sorted()[0]
        let test = Set(assigned.filter { $0.value == "test" }.keys)
        XCTAssertFalse(test.isEmpty)

        let all = try H5ADSource(path: tmp.file("all.h5ad"))
        let allRows = try all.readRows(0..<all.cellCount)
        func check(_ args: [String], expected: Set<String>, file f: StaticString = #filePath, line: UInt = #line) throws {
            let out = tmp.file("sel-\(UUID().uuidString).h5ad")
            let r = try c2s(["reconstruct", sentences, "-o", out, "--quiet"] + args)
            XCTAssertEqual(r.status, 0, r.stderr, file: f, line: line)
            let sel = try H5ADSource(path: out)
            XCTAssertEqual(Set(sel.obs.index), expected, "\(args)", file: f, line: line)
            XCTAssertEqual(sel.obs.index.count, expected.count, file: f, line: line)
            // Each kept cell's row is its row in the full reconstruction.
            let rows = try sel.readRows(0..<sel.cellCount)
            for (i, name) in sel.obs.index.enumerated() {
                let j = try XCTUnwrap(all.obs.index.firstIndex(of: name))
                XCTAssertEqual(Array(rows.indices[rows.indptr[i]..<rows.indptr[i + 1]]), Array(allRows.indices[allRows.indptr[j]..<allRows.indptr[j + 1]]), file: f, line: line)
                XCTAssertEqual(Array(rows.values[rows.indptr[i]..<rows.indptr[i + 1]]), Array(allRows.values[allRows.indptr[j]..<allRows.indptr[j + 1]]), file: f, line: line)
            }
        }
        try check(["--splits", tmp.file("splits.json"), "--split", "test"], expected: test)
        try check(["--where", "cell_type=\(someType)"], expected: Set(typeOf.filter { $0.value == someType }.keys))
        try check(["--splits", tmp.file("splits.json"), "--split", "test", "--where", "cell_type=\(someType)"],
                  expected: test.filter { typeOf[$0] == someType })

        // Errors name the problem and leave no output.
        let never = tmp.file("never.h5ad")
        for (args, mention) in [(["--where", "tissue=lung"], "no column 'tissue'"), (["--where", "cell_type=none such"], "no line of this file is selected"),
                                (["--splits", tmp.file("splits.json"), "--split", "holdout"], "unknown split 'holdout'"),
                                (["--split", "test"], "--splits and --split go together")] {
            let r = try c2s(["reconstruct", sentences, "-o", never] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(mention), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: never), "\(args): no output on error")
        }
        // A plain-text sentence file has no fields to select by.
        try "A B C\nB C D\n".write(toFile: tmp.file("plain.txt"), atomically: true, encoding: .utf8)
        let plain = try c2s(["reconstruct", tmp.file("plain.txt"), "--dataset", sentences, "--where", "cell_type=\(someType)", "-o", never])
        XCTAssertNotEqual(plain.status, 0)
        XCTAssertTrue(plain.stderr.contains("plain.txt") && plain.stderr.contains("JSONL"), plain.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: never))
    }
}
