import Foundation
import SingleCell
import TestSupport
import XCTest

/// The `c2s convert` command end to end: good runs, and one clear error per kind of bad input
/// with a non-zero exit and no output left behind.
final class ConvertCLITests: XCTestCase {
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

    /// Runs a conversion expected to fail; checks exit code, that stderr names `mentions`, and
    /// that neither the output folder nor a temporary one is left.
    func expectFailure(_ input: String, extra: [String] = [], mentions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let out = tmp.file("out")
        let r = try c2s(["convert", input, "-o", out, "--quiet"] + extra)
        XCTAssertNotEqual(r.status, 0, "expected failure, stderr: \(r.stderr)", file: file, line: line)
        for m in mentions {
            XCTAssertTrue(r.stderr.contains(m), "stderr should mention '\(m)': \(r.stderr)", file: file, line: line)
        }
        XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }.count, 1, "one error line: \(r.stderr)", file: file, line: line)
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.contains("out") }
        XCTAssertEqual(left, [], "output left behind", file: file, line: line)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let p = tmp.file(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func testProgressGoesToALogFileAsPlainLines() throws {
        let rows = (0..<40).map { "c\($0),\($0 % 5),1,\($0 % 3),2" }
        let csv = try write("m.csv", "cell,CD3E,MS4A1,LYZ,Actg1\n" + rows.joined(separator: "\n") + "\n")
        // stderr is a pipe here, as in a cluster job's log: no bar, but plain lines.
        let r = try c2s(["convert", csv, "-o", tmp.file("ds"), "--min-genes", "0", "--min-cells", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("\r") || r.stderr.contains("█"), r.stderr)
        let done = r.stderr.split(separator: "\n").filter { $0.hasPrefix("writing sentences: 40/40 cells (100%), ") }
        XCTAssertEqual(done.count, 1, r.stderr)
        XCTAssertTrue(done.first?.contains(" cells/s, ETA 0s, elapsed ") == true, r.stderr)
        let quiet = try c2s(["convert", csv, "-o", tmp.file("ds2"), "--min-genes", "0", "--min-cells", "0", "--quiet"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "")
    }

    func testCSVConvertsAndWritesTheThreeFiles() throws {
        let csv = try write("m.csv", "cell,CD3E,MS4A1,LYZ,Actg1\nc1,5,0,1,1\nc2,0,7,2,0\n")
        let out = tmp.file("ds")
        let r = try c2s(["convert", csv, "-o", out, "--min-genes", "0", "--min-cells", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let cells = try String(contentsOfFile: out + "/cells.jsonl", encoding: .utf8)
        XCTAssertEqual(cells.split(separator: "\n").count, 2)
        XCTAssertTrue(cells.contains(#""cell_name":"c2","cell_sentence":"MS4A1 LYZ""#), cells)
        let vocab = try String(contentsOfFile: out + "/vocab.tsv", encoding: .utf8)
        XCTAssertEqual(vocab, "gene\tn_cells\nCD3E\t1\nMS4A1\t1\nLYZ\t2\nACTG1\t1\n")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        let input = manifest["input"] as! [String: Any]
        XCTAssertEqual((input["sha256"] as! String).count, 64)
        XCTAssertEqual((manifest["counts"] as! [String: Any])["cells_kept"] as? Int, 2)
        // A second run refuses to overwrite, then replaces with --overwrite.
        XCTAssertNotEqual(try c2s(["convert", csv, "-o", out, "--quiet"]).status, 0)
        XCTAssertEqual(try c2s(["convert", csv, "-o", out, "--quiet", "--overwrite", "--min-genes", "0", "--min-cells", "0"]).status, 0)
    }

    func testMissingFile() throws {
        try expectFailure(tmp.file("nope.h5ad"), mentions: ["nope.h5ad", "no such file"])
    }

    func testNotHDF5() throws {
        let p = try write("fake.h5ad", "this is not hdf5\n")
        try expectFailure(p, mentions: ["fake.h5ad", "not an HDF5 file"])
    }

    func testTruncatedH5AD() throws {
        let kang = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let data = try Data(contentsOf: URL(fileURLWithPath: kang))
        let p = tmp.file("truncated.h5ad")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: p))
        try expectFailure(p, mentions: ["truncated.h5ad"])
    }

    func testH5ADWithoutX() throws {
        let p = tmp.file("nox.h5ad")
        do {
            let f = try H5File(creatingAt: p)
            let root = try f.root()
            let obs = try root.createGroup("obs")
            try obs.attributes.write("_index", string: "_index")
            try obs.writeStrings("_index", ["a", "b"])
        }
        try expectFailure(p, mentions: ["nox.h5ad", "no expression matrix 'X'"])
    }

    func testObsLengthMismatch() throws {
        let p = tmp.file("mismatch.h5ad")
        do {
            let f = try H5File(creatingAt: p)
            let root = try f.root()
            try root.write("X", [Float](repeating: 1, count: 6), shape: [3, 2])
            let obs = try root.createGroup("obs")
            try obs.attributes.write("_index", string: "_index")
            try obs.writeStrings("_index", ["a", "b"])
            let v = try root.createGroup("var")
            try v.attributes.write("_index", string: "_index")
            try v.writeStrings("_index", ["G1", "G2"])
        }
        try expectFailure(p, mentions: ["mismatch.h5ad", "obs has 2 rows but the matrix has 3"])
    }

    func testNegativeNaNAndInfiniteValues() throws {
        for (name, value, word) in [("neg.csv", "-1", "negative"), ("nan.csv", "nan", "NaN"), ("inf.csv", "inf", "infinite")] {
            let p = try write(name, "cell,A,B\nc1,1,\(value)\nc2,3,4\n")
            try expectFailure(p, extra: ["--min-genes", "0", "--min-cells", "0"], mentions: [name, word, "'c1'", "'B'"])
            // With filtering (values checked in the first pass) as well as without.
            try expectFailure(p, extra: ["--min-genes", "1"], mentions: [name, word])
        }
    }

    func testEmptyMatrix() throws {
        let p = try write("empty.csv", "cell,A,B\n")
        try expectFailure(p, mentions: ["empty.csv", "empty"])
    }

    func testDuplicateGeneNames() throws {
        let p = try write("dups.csv", "cell,Actb,ACTB,CD3E\nc1,1,2,3\n")
        try expectFailure(p, extra: ["--min-genes", "0"], mentions: ["dups.csv", "ACTB <- Actb, ACTB", "--on-duplicate"])
        let out = tmp.file("ok")
        let r = try c2s(["convert", p, "-o", out, "--min-genes", "0", "--min-cells", "0", "--on-duplicate", "sum", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let cells = try String(contentsOfFile: out + "/cells.jsonl", encoding: .utf8)
        XCTAssertTrue(cells.contains(#""cell_sentence":"ACTB CD3E""#), cells)
    }

    func testTransposedMatrixWarns() throws {
        var text = "gene,AAACCTGAGAAACCAT-1,AAACCTGAGAAACCGC-1,AAACCTGAGAAACCTA-1\n"
        for g in ["CD3E", "MS4A1", "LYZ", "MT-CO1"] { text += "\(g),1,2,3\n" }
        let p = try write("transposed.csv", text)
        let r = try c2s(["convert", p, "-o", tmp.file("t"), "--min-genes", "0", "--min-cells", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("looks transposed"), r.stderr)
    }

    func testCorruptGzip() throws {
        let p = try write("m.csv", "cell," + (0..<300).map { "G\($0)" }.joined(separator: ",") + "\n"
            + (0..<300).map { c in "c\(c)," + (0..<300).map { String(($0 * 7 + c) % 5) }.joined(separator: ",") }.joined(separator: "\n") + "\n")
        XCTAssertEqual(try runProcess("/bin/gzip", ["-f", p]).status, 0)
        let gz = p + ".gz"
        let data = try Data(contentsOf: URL(fileURLWithPath: gz))
        let bad = tmp.file("corrupt.csv.gz")
        try data.prefix(data.count * 2 / 3).write(to: URL(fileURLWithPath: bad))
        try expectFailure(bad, mentions: ["corrupt.csv.gz", "gzip"])
    }

    func testUnknownObsColumnListsAvailable() throws {
        let kang = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        try expectFailure(kang, extra: ["--obs-columns", "celltype"], mentions: ["celltype", "seurat_annotations"])
    }

    func testKangThroughEveryReaderGivesTheSameSentences() throws {
        let h5ad = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let mtx = try TestPaths.sharedFile("kang-ifnb-sub2k/mtx")
        let a = tmp.file("a"), b = tmp.file("b")
        XCTAssertEqual(try c2s(["convert", h5ad, "-o", a, "--quiet"]).status, 0)
        let r = try c2s(["convert", mtx, "-o", b, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try String(contentsOfFile: a + "/cells.jsonl", encoding: .utf8),
                       try String(contentsOfFile: b + "/cells.jsonl", encoding: .utf8))
        XCTAssertEqual(try String(contentsOfFile: a + "/vocab.tsv", encoding: .utf8),
                       try String(contentsOfFile: b + "/vocab.tsv", encoding: .utf8))
    }
}
