import CellSentences
import CZlib
import Foundation
import Prompts
import SingleCell
import TestSupport
import XCTest

/// Loading `cells.jsonl` into a `CellTable`: blocks of lines parsed in parallel must give what
/// reading the file line by line gives, and bad lines must be named by their number. (The
/// reader is CellSentences'; the tests stay here for the Kang prompt fixture they share.)
final class CellTableTests: XCTestCase {
    var tmp: TemporaryFolder!

    override func setUpWithError() throws { tmp = try TemporaryFolder() }
    override func tearDown() { tmp = nil }

    /// The cells of a JSONL text read plainly: one JSON object per line, the first `k` words of
    /// the sentence, string fields.
    func plainly(_ text: String, k: Int) throws -> CellTable {
        let cells = try text.split(separator: "\n").map { line -> CellRecord in
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let words = (object["cell_sentence"] as! String).split(separator: " ").prefix(k)
            var fields: [String: String] = [:]
            for (key, value) in object where key != "cell_name" && key != "cell_sentence" { fields[key] = value as? String }
            return CellRecord(name: object["cell_name"] as! String, sentence: words.joined(separator: " "), fields: fields)
        }
        return CellTable(cells: cells)
    }

    func write(_ name: String, _ text: String, gzip: Bool = false) throws -> String {
        let path = tmp.file(name)
        if gzip {
            let bytes = Array(text.utf8)
            let gz = try XCTUnwrap(gzopen(path, "wb"))
            _ = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
            XCTAssertEqual(gzclose(gz), Z_OK)
        } else {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        }
        return path
    }

    func assertEqual(_ a: CellTable, _ b: CellTable, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.cells, b.cells, message, file: file, line: line)
        XCTAssertEqual(a.fieldNames, b.fieldNames, message, file: file, line: line)
        for name in a.fieldNames { XCTAssertEqual(a.values(of: name), b.values(of: name), message, file: file, line: line) }
    }

    func testBlocksGiveTheCellsOfTheFileOnKang() throws {
        let source = try KangPrompts.table()  // kang-ifnb-sub2k converted, top 50 genes
        // A cells.jsonl with escapes, non-ASCII text and a field missing from some cells.
        var text = ""
        for (i, cell) in source.cells.enumerated() {
            var object: [String: Any] = ["cell_name": i % 9 == 0 ? "\(cell.name)-é" : cell.name,
                                         "cell_sentence": i % 13 == 0 ? "Ä\\\"B \(cell.sentence)" : cell.sentence]
            for (k, v) in cell.fields where !(k == "stim" && i % 7 == 0) { object[k] = i % 11 == 0 ? "\(v) \"ü\"" : v }
            text += String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self) + "\n"
        }
        for k in [1, 10, 50] {
            let expected = try plainly(text, k: k)
            for gzip in [false, true] {
                let path = try write("cells-\(gzip).jsonl", text, gzip: gzip)
                for (threads, blockSize) in [(1, 1 << 20), (2, 4096), (3, 700), (2, 8 << 20)] {
                    let table = try CellTable.load(path, maxGenes: k, threads: threads, blockSize: blockSize)
                    assertEqual(table, expected, "k \(k), gzip \(gzip), \(threads) threads, blocks of \(blockSize)")
                }
            }
        }
        // Plainness is measured while loading: JSON needs no escapes in a plain sentence.
        let table = try CellTable.load(try write("p.jsonl", text), maxGenes: 50, blockSize: 4096)
        for cell in table.cells {
            XCTAssertEqual(cell.sentenceIsPlain, cell.sentence.utf8.allSatisfy { $0 >= 32 && $0 < 128 && $0 != 34 && $0 != 92 })
        }
    }

    func testBlankLinesLineEndsAndByteOrderMark() throws {
        let text = "\u{FEFF}\n  \n{\"cell_name\":\"a\",\"cell_sentence\":\"G1 G2  G3 \",\"t\":\"x\"}\r\n{\"cell_name\":\"b\",\"cell_sentence\":\"H1\",\"n\":3,\"t\":null}"
        let table = try CellTable.load(try write("c.jsonl", text), maxGenes: 2, blockSize: 64)
        XCTAssertEqual(table.cells.map(\.name), ["a", "b"])
        XCTAssertEqual(table.cells.map(\.sentence), ["G1 G2", "H1"])
        XCTAssertEqual(table.cells.map(\.geneCount), [2, 1])
        XCTAssertEqual(table.fieldNames, ["n", "t"])
        XCTAssertEqual(table.values(of: "t"), ["x", nil])
        XCTAssertEqual(table.values(of: "n"), [nil, "3"])
        XCTAssertEqual(table.values(of: "absent"), [nil, nil])
    }

    func testBadLinesAreNamedByTheirNumber() throws {
        let good = (1...300).map { "{\"cell_name\":\"c\($0)\",\"cell_sentence\":\"A B C\"}" }
        func message(_ lines: [String], blockSize: Int = 256) -> String {
            do {
                _ = try CellTable.load(try write("bad.jsonl", lines.joined(separator: "\n") + "\n"), maxGenes: 2, threads: 2, blockSize: blockSize)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        var lines = good
        lines[200] = "{\"cell_name\":\"x\",\"cell_sentence\": A}"
        lines[250] = "not json either"
        XCTAssertTrue(message(lines).contains("line 201 is not valid JSON"), message(lines))
        lines = good
        lines[150] = ""
        XCTAssertTrue(message(lines).contains("line 151 is empty"), message(lines))
        lines = good
        lines[99] = "{\"cell_sentence\":\"A\"}"
        XCTAssertTrue(message(lines).contains("line 100 has no 'cell_name' field"), message(lines))
        lines = good
        lines[0] = "{\"cell_name\":\"x\"}"
        XCTAssertTrue(message(lines, blockSize: 1 << 20).contains("line 1 has no 'cell_sentence' field"))
        XCTAssertTrue(message(["", "cell_name,cell_sentence"]).contains("not JSON lines"))
        XCTAssertTrue(message(["", "  "]).contains("no cells in this file"))
        XCTAssertTrue(message([]).contains("no cells in this file"))
        let missing = tmp.file("none")
        XCTAssertThrowsError(try CellTable.load(missing, maxGenes: 2)) { XCTAssertTrue("\($0)".contains("no such file")) }
    }
}
