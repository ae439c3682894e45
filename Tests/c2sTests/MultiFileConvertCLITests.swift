import Foundation
import SingleCell
import TestSupport
import XCTest

/// `c2s convert` over several files or a folder of them: the dataset equals the one made from
/// the concatenated data, and each kind of bad list fails with one error line naming the file,
/// a non-zero exit and no output left behind.
final class MultiFileConvertCLITests: XCTestCase {
    var tmp: TemporaryFolder!

    override func setUpWithError() throws {
        tmp = try TemporaryFolder()
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: TestPaths.c2sExecutable), "c2s not built at \(TestPaths.c2sExecutable)")
    }

    override func tearDown() { tmp.remove() }

    @discardableResult
    func c2s(_ args: [String]) throws -> ProcessResult {
        try runProcess(TestPaths.c2sExecutable, args)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let p = tmp.file(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func manifest(_ folder: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))) as! [String: Any]
    }

    /// Deterministic small counts; `salt` makes each file's cells different.
    func csvRows(_ cells: Range<Int>) -> [String] {
        cells.map { c in "c\(c)," + (0..<6).map { g in String((c * 7 + g * 3) % 5 == 0 ? 0 : (c + g) % 4) }.joined(separator: ",") }
    }

    let header = "cell,CD3E,MS4A1,LYZ,NKG7,GNLY,MT-CO1\n"

    /// Asserts that two datasets hold the same sentences, vocabulary, counts and fit.
    func assertSameDataset(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try text(a + "/cells.jsonl"), try text(b + "/cells.jsonl"), file: file, line: line)
        XCTAssertEqual(try text(a + "/vocab.tsv"), try text(b + "/vocab.tsv"), file: file, line: line)
        let ma = try manifest(a), mb = try manifest(b)
        XCTAssertEqual(ma["counts"] as? NSDictionary, mb["counts"] as? NSDictionary, file: file, line: line)
        XCTAssertEqual(ma["inverse_transform"] as? NSDictionary, mb["inverse_transform"] as? NSDictionary, file: file, line: line)
    }

    func testListOfCSVFilesEqualsTheirConcatenation() throws {
        let a = try write("a.csv", header + csvRows(0..<23).joined(separator: "\n") + "\n")
        let b = try write("b.csv", header + csvRows(23..<41).joined(separator: "\n") + "\n")
        let whole = try write("ab.csv", header + csvRows(0..<41).joined(separator: "\n") + "\n")
        // Blocks of 7 cells run across the boundary between the files.
        let flags = ["--min-genes", "1", "--min-cells", "2", "--block-size", "7", "--quiet", "--obs-columns", "total_counts"]
        var r = try c2s(["convert", a, b, "-o", tmp.file("multi")] + flags)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", whole, "-o", tmp.file("whole")] + flags)
        XCTAssertEqual(r.status, 0, r.stderr)
        try assertSameDataset(tmp.file("multi"), tmp.file("whole"))

        let input = try manifest(tmp.file("multi"))["input"] as! [String: Any]
        let parts = input["parts"] as! [[String: Any]]
        XCTAssertEqual(parts.map { $0["path"] as? String }, [a, b])
        XCTAssertEqual(parts.map { $0["cells"] as? Int }, [23, 18])
        XCTAssertTrue(parts.allSatisfy { ($0["sha256"] as? String)?.count == 64 })
        XCTAssertEqual(input["cells"] as? Int, 41)
        XCTAssertNil(try manifest(tmp.file("whole"))["input"].flatMap { ($0 as! [String: Any])["parts"] })

        // source_file names each cell's file.
        r = try c2s(["convert", a, b, "-o", tmp.file("named"), "--min-genes", "0", "--min-cells", "0", "--quiet", "--obs-columns", "source_file"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try text(tmp.file("named") + "/cells.jsonl").split(separator: "\n")
        XCTAssertEqual(lines.count, 41)
        XCTAssertTrue(lines[22].hasSuffix(#""source_file":"\#(a)"}"#), String(lines[22]))
        XCTAssertTrue(lines[23].hasSuffix(#""source_file":"\#(b)"}"#), String(lines[23]))
    }

    func testFolderOfFilesIsReadInNameOrder() throws {
        let folder = tmp.file("parts")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try (header + csvRows(10..<20).joined(separator: "\n") + "\n").write(toFile: folder + "/2.csv", atomically: true, encoding: .utf8)
        try (header + csvRows(0..<10).joined(separator: "\n") + "\n").write(toFile: folder + "/1.csv", atomically: true, encoding: .utf8)
        try "not counts".write(toFile: folder + "/README.md", atomically: true, encoding: .utf8)
        let whole = try write("all.csv", header + csvRows(0..<20).joined(separator: "\n") + "\n")
        let flags = ["--min-genes", "0", "--min-cells", "0", "--quiet"]
        XCTAssertEqual(try c2s(["convert", folder, "-o", tmp.file("from-folder")] + flags).status, 0)
        XCTAssertEqual(try c2s(["convert", whole, "-o", tmp.file("whole")] + flags).status, 0)
        try assertSameDataset(tmp.file("from-folder"), tmp.file("whole"))
        XCTAssertEqual((try manifest(tmp.file("from-folder"))["input"] as! [String: Any])["path"] as? String, folder)
    }

    /// Two simulated h5ad files against one h5ad written with the project's writer holding both
    /// matrices and obs tables one after the other; the fit is then re-read by `c2s fit`.
    func testListOfH5ADFilesEqualsTheConcatenatedFile() throws {
        let a = tmp.file("a.h5ad"), b = tmp.file("b.h5ad"), whole = tmp.file("ab.h5ad")
        // One seed: the simulator places its named genes by the seed, and the files must share them.
        for (path, seed, cells) in [(a, 1, 300), (b, 1, 250)] {
            let r = try c2s(["simulate", "-o", path, "--cells", "\(cells)", "--genes", "300", "--cell-types", "3", "--seed", "\(seed)", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let sa = try ExpressionReader.open(a), sb = try ExpressionReader.open(b)
        let ma = try sa.readRows(0..<sa.cellCount), mb = try sb.readRows(0..<sb.cellCount)
        let matrix = CSRRows(firstRow: 0, indptr: ma.indptr + mb.indptr.dropFirst().map { $0 + ma.storedCount },
                             indices: ma.indices + mb.indices, values: ma.values + mb.values)
        let columns = ["cell_type", "batch"].map { name in
            Column(name, .strings((0..<sa.cellCount).map { sa.obs.column(name)!.values.text(at: $0) ?? "" }
                                  + (0..<sb.cellCount).map { sb.obs.column(name)!.values.text(at: $0) ?? "" }))
        }
        try H5ADWriter.write(path: whole, matrix: matrix, obs: DataFrame(index: sa.obs.index + sb.obs.index, columns: columns), vars: sa.genes)

        // The simulator names cells alike in both files: repeats are renamed in both runs.
        let flags = ["--obs-columns", "cell_type,batch,n_genes_by_counts", "--make-names-unique", "--block-size", "64", "--quiet"]
        var r = try c2s(["convert", a, b, "-o", tmp.file("multi")] + flags)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", whole, "-o", tmp.file("whole")] + flags)
        XCTAssertEqual(r.status, 0, r.stderr)
        try assertSameDataset(tmp.file("multi"), tmp.file("whole"))

        // `c2s fit` reads the files again from the manifest, checking each checksum.
        r = try c2s(["fit", tmp.file("multi"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try manifest(tmp.file("multi"))["inverse_transform"] as? NSDictionary,
                       try manifest(tmp.file("whole"))["inverse_transform"] as? NSDictionary)
    }

    /// Runs a conversion expected to fail; checks the exit code, one error line naming
    /// `mentions`, and that no output (or temporary) is left.
    func expectFailure(_ inputs: [String], mentions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try c2s(["convert"] + inputs + ["-o", tmp.file("out"), "--quiet", "--min-genes", "0", "--min-cells", "0"])
        XCTAssertNotEqual(r.status, 0, "expected failure, stderr: \(r.stderr)", file: file, line: line)
        for m in mentions {
            XCTAssertTrue(r.stderr.contains(m), "stderr should mention '\(m)': \(r.stderr)", file: file, line: line)
        }
        XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }.count, 1, "one error line: \(r.stderr)", file: file, line: line)
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.contains("out") }
        XCTAssertEqual(left, [], "output left behind", file: file, line: line)
    }

    func testBadListsFailNamingTheFile() throws {
        let a = try write("a.csv", header + csvRows(0..<5).joined(separator: "\n") + "\n")
        try expectFailure([a, tmp.file("gone.csv")], mentions: ["gone.csv", "no such file"])

        let otherGenes = try write("other.csv", "cell,CD3E,MS4A1,LYZ,NKG7,CD8A,MT-CO1\n" + csvRows(5..<9).joined(separator: "\n") + "\n")
        try expectFailure([a, otherGenes], mentions: ["other.csv", "gene 5 is 'CD8A'", "share their gene list"])
        let fewerGenes = try write("fewer.csv", "cell,CD3E,MS4A1\nc9,1,2\n")
        try expectFailure([a, fewerGenes], mentions: ["fewer.csv", "has 2 genes"])

        let empty = tmp.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try expectFailure([empty], mentions: ["empty", "no count-matrix files"])

        // A requested obs column that one file lacks names that file.
        let withType = try write("typed.csv", header + csvRows(9..<12).joined(separator: "\n") + "\n")
        let r = try c2s(["convert", a, withType, "-o", tmp.file("out"), "--quiet", "--obs-columns", "cell_type"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("a.csv") && r.stderr.contains("cell_type"), r.stderr)
    }
}
