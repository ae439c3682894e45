import Foundation
import Mechanics
import SingleCell
import TestSupport
import XCTest

/// `LineOutput`: JSON lines appear under the output's name only once committed, and the output
/// never replaces one of the command's inputs.
final class LineOutputTests: XCTestCase {
    func testLinesAppearWhenCommitted() throws {
        let tmp = try TemporaryFolder()
        let out = try LineOutput(path: tmp.file("out.jsonl"), overwrite: false)
        try out.write(JSONLine.object([("index", .int(0)), ("completion", .string("a \"b\"\n")), ("tokens", .ints([1, 2]))]))
        try out.write(JSONLine.object([("embedding", .doubles([1, .nan])), ("s", .double(0.5)), ("n", .number("18446744073709551615"))]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out.jsonl")), "nothing under the output's name before commit")
        try out.commit()
        XCTAssertEqual(try String(contentsOfFile: tmp.file("out.jsonl"), encoding: .utf8), """
            {"index":0,"completion":"a \\"b\\"\\n","tokens":[1,2]}
            {"embedding":[1.0,null],"s":0.5,"n":18446744073709551615}

            """)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), ["out.jsonl"], "no temporary left")
    }

    func testAnInputIsNeverTheOutput() throws {
        let tmp = try TemporaryFolder()
        try "prompt\n".write(toFile: tmp.file("p.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LineOutput(path: tmp.file("p.txt"), overwrite: true, inputs: [nil, tmp.file("p.txt")])) { error in
            XCTAssertTrue("\(error)".contains("is the input"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: tmp.file("p.txt"), encoding: .utf8), "prompt\n")
    }
}
