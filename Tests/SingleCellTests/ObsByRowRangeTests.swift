import Foundation
@testable import SingleCell
import TestSupport
import XCTest

/// obs read by row range (what `c2s convert` reads, one block at a time) gives the rows of the
/// whole table: for several files joined into one source, across the files' boundaries, with
/// categorical codes translated into the joined categories; and for .h5ad files left on disk.
final class ObsByRowRangeTests: XCTestCase {
    func part(_ path: String, names: [String], types: [Int32], categories: [String], scores: [Double]) -> InMemorySource {
        var indptr = [0]
        for _ in names { indptr.append(0) }
        return InMemorySource(path: path, matrix: CSRRows(firstRow: 0, indptr: indptr, indices: [], values: []),
                              obs: DataFrame(index: names, columns: [
                                Column("cell_type", .categorical(codes: types, categories: categories)),
                                Column("score", .reals(scores)),
                              ]),
                              genes: DataFrame(index: ["A"]))
    }

    func texts(_ frame: DataFrame) -> [[String?]] {
        frame.columns.map { c in (0..<c.values.count).map { c.values.text(at: $0) } }
    }

    func testJoinedObsByRowRangeEqualsTheWholeJoinedTable() throws {
        // Categories differ between the parts (and one part has a missing code).
        let parts = [
            part("a.h5ad", names: ["a0", "a1", "a2"], types: [0, 1, 0], categories: ["T", "B"], scores: [1, 2, 3]),
            part("b.h5ad", names: ["b0"], types: [1], categories: ["NK", "T"], scores: [4]),
            part("c.h5ad", names: ["c0", "c1"], types: [-1, 0], categories: ["B"], scores: [5, 6]),
        ]
        let joined = try ConcatenatedSource(parts, path: "abc")
        let whole = joined.obs
        XCTAssertEqual(joined.obsSchema.columnNames, whole.columnNames)
        XCTAssertEqual(whole.columnNames, ["cell_type", "score", "source_file"])
        guard case .categorical(_, let categories)? = joined.obsSchema.column("cell_type")?.values else { return XCTFail("not categorical") }
        XCTAssertEqual(categories, ["T", "B", "NK"])
        let all = whole.columnNames
        for lo in 0...whole.rowCount {
            for hi in lo...whole.rowCount {
                let rows = try joined.readObs(lo..<hi, columns: all)
                let expected = whole.subset(Array(lo..<hi))
                XCTAssertEqual(rows.index, expected.index, "\(lo)..<\(hi)")
                XCTAssertEqual(texts(rows), texts(expected), "\(lo)..<\(hi)")
                XCTAssertEqual(rows.column("cell_type")?.values, expected.column("cell_type")?.values, "\(lo)..<\(hi)")
            }
        }
        // Only the columns asked for, in the table's order.
        XCTAssertEqual(try joined.readObs(1..<5, columns: ["source_file", "cell_type"]).columnNames, ["cell_type", "source_file"])
        XCTAssertEqual(try joined.readObs(2..<4, columns: ["source_file"]).column("source_file")?.values.text(at: 1), "b.h5ad")
    }

    func testH5ADPartsLeftOnDiskJoinAsTheTablesHeldInMemory() throws {
        let path = TestPaths.fixtures.appendingPathComponent("h5ad/csr_int32.h5ad").path
        let held = try ConcatenatedSource([try H5ADSource(path: path), try H5ADSource(path: path)], path: "two")
        let onDisk = try ConcatenatedSource([try H5ADSource(path: path, obsOnDemand: true), try H5ADSource(path: path, obsOnDemand: true)], path: "two")
        let whole = held.obs
        XCTAssertEqual(onDisk.obsSchema.columnNames, whole.columnNames)
        XCTAssertEqual(onDisk.warnings, held.warnings)
        for lo in 0...whole.rowCount {
            let rows = try onDisk.readObs(lo..<whole.rowCount, columns: whole.columnNames)
            let expected = whole.subset(Array(lo..<whole.rowCount))
            XCTAssertEqual(rows.index, expected.index)
            XCTAssertEqual(texts(rows), texts(expected))
        }
    }
}
