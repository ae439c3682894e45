import C2S
import SingleCell
import TestSupport
import XCTest

/// Result tables: column types as anndata expects them, CSV quoting.
final class ResultTableTests: XCTestCase {
    func testColumnTypesAndCSV() throws {
        var t = ResultTable()
        t.index = ["a", "b", "c", "d"]
        t.add("label", ["B", "B", "NK", nil])
        t.add("count", ["1", "2", "3", "4"])
        t.add("score", numbers: [1.5, nil, -2, 0])
        t.add("flag", ["true", "false", "true", "true"])
        t.add("text", ["x, y", "say \"hi\"", "line\nbreak", "plain"])
        t.add("a/b", ["1", "2", "3", "4"])
        let frame = t.dataFrame()
        XCTAssertEqual(frame.column("label")?.values, .categorical(codes: [0, 0, 1, -1], categories: ["B", "NK"]))
        XCTAssertEqual(frame.column("count")?.values, .integers([1, 2, 3, 4]))
        guard case .reals(let r)? = frame.column("score")?.values else { return XCTFail("score is not real") }
        XCTAssertEqual(r[0], 1.5)
        XCTAssertTrue(r[1].isNaN)
        XCTAssertEqual(frame.column("flag")?.values, .bools([true, false, true, true]))
        XCTAssertEqual(frame.column("text")?.values, .strings(["x, y", "say \"hi\"", "line\nbreak", "plain"]))
        XCTAssertNotNil(frame.column("a_b"))

        let tmp = try TemporaryFolder()
        try t.writeCSV(tmp.file("t.csv"), overwrite: false)
        let text = try String(contentsOfFile: tmp.file("t.csv"), encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("cell_name,label,count,score,flag,text,a/b\na,B,1,1.5,true,\"x, y\",1\n"), text)
        XCTAssertTrue(text.contains("\"say \"\"hi\"\"\"") && text.contains("\"line\nbreak\""), text)
        XCTAssertThrowsError(try t.writeCSV(tmp.file("t.csv"), overwrite: false))
        try t.writeH5AD(tmp.file("t.h5ad"))
        let back = try H5ADSource(path: tmp.file("t.h5ad"))
        XCTAssertEqual(back.obs.index, ["a", "b", "c", "d"])
        XCTAssertEqual(back.geneCount, 0)
    }
}
