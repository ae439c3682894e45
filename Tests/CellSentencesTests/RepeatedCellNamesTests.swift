@testable import CellSentences
import Foundation
import SingleCell
import TestSupport
import XCTest

/// Repeated cell names found block by block, through hashes sorted in runs on disk, give the
/// answers of the whole-list check and of anndata's obs_names_make_unique.
final class RepeatedCellNamesTests: XCTestCase {
    func source(_ names: [String]) -> InMemorySource {
        InMemorySource(path: "names.h5ad", matrix: CSRRows(firstRow: 0, indptr: [Int](repeating: 0, count: names.count + 1), indices: [], values: []),
                       obs: DataFrame(index: names), genes: DataFrame(index: ["A"]))
    }

    /// Every block size and run length (runs of 2 spill to the scratch file and merge).
    func assertAgrees(_ names: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = DuplicateCellNames.firstRepeat(names)
        let unique = DuplicateCellNames.uniqueNames(names)
        let src = source(names)
        // The real hash, and two that make different names collide (all of them, or those of
        // one length), which the second reading of the names must tell apart.
        let hashes: [(String, (String) -> UInt64)] = [("fnv", RepeatedCellNames.hash), ("zero", { _ in 0 }), ("length", { UInt64($0.utf8.count) })]
        for (hashName, hash) in hashes {
        for blockSize in [1, 2, 3, 1000] {
            for runLength in [2, 3, 1 << 20] {
                let found = try RepeatedCellNames(src, blockSize: blockSize, runLength: runLength, makeUnique: true, hash: hash)
                let label = "\(names) block \(blockSize) run \(runLength) hash \(hashName)"
                XCTAssertEqual(found.firstRepeat?.name, expected?.name, label, file: file, line: line)
                XCTAssertEqual(found.firstRepeat?.count, expected?.count, label, file: file, line: line)
                XCTAssertEqual(found.firstRepeat?.repeated, expected?.repeated, label, file: file, line: line)
                var renamed = names
                for (row, name) in zip(found.renamedRows, found.renamedNames) { renamed[row] = name }
                XCTAssertEqual(renamed, unique.names, label, file: file, line: line)
                XCTAssertEqual(found.renamedRows.count, unique.renamed, label, file: file, line: line)
                let checkOnly = try RepeatedCellNames(src, blockSize: blockSize, runLength: runLength, makeUnique: false, hash: hash)
                XCTAssertEqual(checkOnly.firstRepeat?.name, expected?.name, label, file: file, line: line)
                XCTAssertEqual(checkOnly.firstRepeat?.repeated, expected?.repeated, label, file: file, line: line)
                XCTAssertEqual(checkOnly.renamedRows, [], label, file: file, line: line)
            }
        }
        }
    }

    func testTheAnnDataFixtureCasesAgree() throws {
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.fixtures.appendingPathComponent("naming/unique_names.json"))) as! [String: Any]
        for case_ in fixture["cases"] as! [[String: Any]] { try assertAgrees(case_["names"] as! [String]) }
    }

    func testNamesThatANewNameCouldTakeAreAvoided() throws {
        try assertAgrees(["x", "x-1", "x", "x-2", "x", "x-1-1", "x-1", "y", "-1", "", "", "x-01", "x"])
        try assertAgrees([])
        try assertAgrees(["only"])
    }

    /// A repeat 9,000 rows apart, in different blocks and different sorted runs, is found.
    func testARepeatFarApartInABigInputIsFound() throws {
        var names = (0..<10_000).map { "cell\($0)" }
        names[9_500] = "cell7"
        let found = try RepeatedCellNames(source(names), blockSize: 64, runLength: 1000, makeUnique: true)
        XCTAssertEqual(found.firstRepeat?.name, "cell7")
        XCTAssertEqual(found.firstRepeat?.count, 2)
        XCTAssertEqual(found.renamedRows, [9_500])
        XCTAssertEqual(found.renamedNames, ["cell7-1"])
        let unique = try RepeatedCellNames(source((0..<10_000).map { "cell\($0)" }), blockSize: 64, runLength: 1000, makeUnique: false)
        XCTAssertNil(unique.firstRepeat)
    }

    /// Different names that all share one hash are no repeat; equal hashes leave the merge of
    /// the sorted runs in row order.
    func testASharedHashWithoutARepeatIsNoRepeat() throws {
        let names = (0..<50).map { "n\($0)" }
        let found = try RepeatedCellNames(source(names), blockSize: 7, runLength: 4, makeUnique: true, hash: { _ in 42 })
        XCTAssertNil(found.firstRepeat)
        XCTAssertEqual(found.renamedRows, [])
        let shared = try RepeatedCellNames.sharedHashes(source(["a", "b", "a", "c", "b", "a"]), blockSize: 2, runLength: 2)
        XCTAssertEqual(shared.map { Int($0.row) }.sorted(), [0, 1, 2, 4, 5])
        XCTAssertEqual(Set(shared.map(\.hash)), [RepeatedCellNames.hash("a"), RepeatedCellNames.hash("b")])
        for (x, y) in zip(shared, shared.dropFirst()) where x.hash == y.hash { XCTAssertLessThan(x.row, y.row) }
    }

    /// Through the converter: a repeat far apart in a multi-block input is refused or renamed.
    func testTheConverterFindsAFarApartRepeat() throws {
        let n = 3000
        var names = (0..<n).map { "c\($0)" }
        names[2_990] = "c3"
        var indptr = [0], indices: [Int32] = [], values: [Float] = []
        for r in 0..<n { indices.append(Int32(r % 2)); values.append(1); indptr.append(indices.count) }
        let src = InMemorySource(path: "far.h5ad", matrix: CSRRows(firstRow: 0, indptr: indptr, indices: indices, values: values),
                                 obs: DataFrame(index: names), genes: DataFrame(index: ["A", "B"]))
        var o = ConversionOptions()
        o.preprocessing.minGenes = 0
        o.preprocessing.minCells = 0
        o.checksum = false
        o.blockSize = 100
        o.duplicateCellNames = .error
        let tmp = try TemporaryFolder()
        XCTAssertThrowsError(try CellSentenceConverter.convert(src, to: tmp.file("no"), options: o)) { error in
            XCTAssertTrue("\(error)".contains("'c3' appears 2 times (1 names repeat)"), "\(error)")
        }
        o.duplicateCellNames = .makeUnique
        _ = try CellSentenceConverter.convert(src, to: tmp.file("yes"), options: o)
        let lines = try String(contentsOfFile: tmp.file("yes/cells.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, n)
        XCTAssertTrue(lines[2_990].hasPrefix(#"{"cell_name":"c3-1","#), String(lines[2_990]))
        XCTAssertTrue(lines[3].hasPrefix(#"{"cell_name":"c3","#), String(lines[3]))
    }
}
