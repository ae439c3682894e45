import Foundation
@testable import SingleCell
import TestSupport
import XCTest

/// The external transpose of CSC matrices: every row block read back equals the matrix, across
/// bucket and chunk boundaries, whatever order a column stores its rows in; bad entries are
/// refused when the file is opened; the scratch file leaves nothing behind.
final class CSCDatasetReaderTests: XCTestCase {
    var tmp: TemporaryFolder!
    /// The files written, kept open while their datasets are read.
    var files: [H5File] = []

    override func setUpWithError() throws { tmp = try TemporaryFolder() }
    override func tearDown() { files = []; tmp = nil }

    /// A seeded sparse matrix, as dense rows (0 = not stored).
    func matrix(rows: Int, columns: Int, density: Double, seed: UInt64) -> [[Float]] {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        return (0..<rows).map { _ in (0..<columns).map { _ in next() < density ? Float(Int(next() * 50) + 1) : 0 } }
    }

    /// Writes `dense` as CSC datasets `indptr`/`indices`/`data` in a fresh HDF5 file; `order`
    /// rearranges each column's stored rows (scipy writes them ascending, others may not).
    func writeCSC(_ dense: [[Float]], name: String, order: ([Int32]) -> [Int32] = { $0 }) throws -> H5Group {
        let rows = dense.count, columns = dense.first?.count ?? 0
        var indptr: [Int64] = [0], indices: [Int32] = [], data: [Float] = []
        for c in 0..<columns {
            let stored = order((0..<rows).filter { dense[$0][c] != 0 }.map(Int32.init))
            indices += stored
            data += stored.map { Int($0) < rows ? dense[Int($0)][c] : 1 }
            indptr.append(Int64(indices.count))
        }
        let path = tmp.file(name)
        let file = try H5File(creatingAt: path)
        let group = try file.root().createGroup("X")
        try group.write("indptr", indptr)
        try group.write("indices", indices.map(Int64.init))
        try group.write("data", data)
        files.append(file)
        return group
    }

    func reader(_ group: H5Group, rows: Int, columns: Int, bucketEntries: Int, chunkEntries: Int, scratch: String? = nil,
                keyBits: Int = 32) throws -> CSCDatasetReader {
        try CSCDatasetReader(indptr: try group.dataset("indptr"), indices: try group.dataset("indices"), data: try group.dataset("data"),
                             rows: rows, columns: columns, path: "m.h5ad", label: "X",
                             bucketEntries: bucketEntries, chunkEntries: chunkEntries, scratchFolder: scratch, keyBits: keyBits)
    }

    /// Checks one block against the dense rows: pointers, ascending columns, values.
    func assertBlock(_ block: CSRRows, _ dense: [[Float]], _ range: Range<Int>, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(block.firstRow, range.lowerBound, what, file: file, line: line)
        XCTAssertEqual(block.rowCount, range.count, what, file: file, line: line)
        for (i, r) in range.enumerated() {
            let stored = block.range(ofRow: i)
            let columns = stored.map { Int(block.indices[$0]) }
            let want = dense[r].indices.filter { dense[r][$0] != 0 }
            XCTAssertEqual(columns, want, "\(what): row \(r) columns", file: file, line: line)
            XCTAssertEqual(stored.map { block.values[$0] }, want.map { dense[r][$0] }, "\(what): row \(r) values", file: file, line: line)
        }
    }

    func testEveryBlockEqualsTheMatrixAcrossBucketsAndChunks() throws {
        let dense = matrix(rows: 137, columns: 23, density: 0.2, seed: 7)
        let group = try writeCSC(dense, name: "m.h5")
        // About 630 entries: buckets of ~6 rows, chunks of 5 entries; then one bucket for all.
        for (bucketEntries, chunkEntries) in [(30, 5), (1, 1), (1 << 20, 8192)] {
            let r = try reader(group, rows: 137, columns: 23, bucketEntries: bucketEntries, chunkEntries: chunkEntries)
            let what = "buckets of \(bucketEntries), chunks of \(chunkEntries)"
            assertBlock(try r.readRows(0..<137), dense, 0..<137, what + ", all rows")
            for split in [0, 1, 5, 6, 7, 64, 136, 137] {
                assertBlock(try r.readRows(0..<split), dense, 0..<split, what + ", head \(split)")
                assertBlock(try r.readRows(split..<137), dense, split..<137, what + ", tail \(split)")
            }
            // Blocks out of order, and going back to a bucket already passed.
            for range in [100..<120, 3..<4, 50..<51, 0..<137, 120..<137, 60..<61] {
                assertBlock(try r.readRows(range), dense, range, what + ", \(range)")
            }
        }
    }

    /// An entry's key packs its row within the bucket above its column; with few key bits (23
    /// columns take 5, so an 8-bit key leaves room for 8 rows) buckets are cut to the rows the
    /// key can hold however many entries they were given, and every row still reads back.
    func testBucketsHoldOnlyTheRowsTheKeyHasRoomFor() throws {
        let dense = matrix(rows: 137, columns: 23, density: 0.2, seed: 9)
        let group = try writeCSC(dense, name: "keys.h5")
        for keyBits in [8, 6] {
            let r = try reader(group, rows: 137, columns: 23, bucketEntries: 1 << 20, chunkEntries: 7, keyBits: keyBits)
            assertBlock(try r.readRows(0..<137), dense, 0..<137, "\(keyBits)-bit keys, all rows")
            for range in [5..<9, 7..<8, 130..<137, 0..<1] {
                assertBlock(try r.readRows(range), dense, range, "\(keyBits)-bit keys, \(range)")
            }
        }
        XCTAssertThrowsError(try reader(group, rows: 137, columns: 23, bucketEntries: 16, chunkEntries: 4, keyBits: 5)) { error in
            XCTAssertTrue("\(error)".contains("23 columns"), "\(error)")
        }
    }

    func testColumnsStoringRowsOutOfOrderComeOutAscending() throws {
        let dense = matrix(rows: 40, columns: 9, density: 0.4, seed: 3)
        let group = try writeCSC(dense, name: "reversed.h5", order: { $0.reversed() })
        let r = try reader(group, rows: 40, columns: 9, bucketEntries: 20, chunkEntries: 3)
        assertBlock(try r.readRows(0..<40), dense, 0..<40, "reversed columns")
    }

    func testARowStoredTwiceInAColumnIsRefusedSortedOrNot() throws {
        let dense = matrix(rows: 30, columns: 5, density: 0.5, seed: 11)
        // Column 2 stores its first row again at its end: ascending until then, so only the
        // check of unsorted columns after the pass finds it.
        let late = try writeCSC(dense, name: "late.h5", order: { rows in rows.isEmpty ? rows : rows + [rows[0]] })
        XCTAssertThrowsError(try reader(late, rows: 30, columns: 5, bucketEntries: 10, chunkEntries: 4)) { error in
            XCTAssertTrue("\(error)".contains("m.h5ad") && "\(error)".contains("column 0 stores row"), "\(error)")
        }
        // Adjacent repeats are found during the pass.
        let adjacent = try writeCSC(dense, name: "adjacent.h5", order: { rows in rows.isEmpty ? rows : [rows[0]] + rows })
        XCTAssertThrowsError(try reader(adjacent, rows: 30, columns: 5, bucketEntries: 10, chunkEntries: 4)) { error in
            XCTAssertTrue("\(error)".contains("column 0 stores row \(dense.firstIndex { $0[0] != 0 }!) more than once"), "\(error)")
        }
    }

    func testARowIndexOutsideTheMatrixIsRefused() throws {
        let dense = matrix(rows: 10, columns: 4, density: 0.5, seed: 5)
        let group = try writeCSC(dense, name: "outside.h5", order: { $0 + [99] })
        XCTAssertThrowsError(try reader(group, rows: 10, columns: 4, bucketEntries: 8, chunkEntries: 2)) { error in
            XCTAssertTrue("\(error)".contains("row index 99 outside 0..<10"), "\(error)")
        }
    }

    func testAnEmptyMatrixAndEmptyBlocks() throws {
        let dense = [[Float]](repeating: [0, 0, 0], count: 6)
        let group = try writeCSC(dense, name: "empty.h5")
        let r = try reader(group, rows: 6, columns: 3, bucketEntries: 4, chunkEntries: 2)
        assertBlock(try r.readRows(0..<6), dense, 0..<6, "empty matrix")
        assertBlock(try r.readRows(3..<3), dense, 3..<3, "empty block")
    }

    func testTheScratchFileLeavesNothingInItsFolder() throws {
        let dense = matrix(rows: 50, columns: 10, density: 0.3, seed: 1)
        let group = try writeCSC(dense, name: "m.h5")
        let scratch = tmp.file("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let r = try reader(group, rows: 50, columns: 10, bucketEntries: 16, chunkEntries: 4, scratch: scratch)
        XCTAssertEqual(r.scratchBytes, dense.joined().filter { $0 != 0 }.count * 8)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch), [])
        assertBlock(try r.readRows(0..<50), dense, 0..<50, "scratch in a chosen folder")
        XCTAssertThrowsError(try reader(group, rows: 50, columns: 10, bucketEntries: 16, chunkEntries: 4, scratch: tmp.file("no-such-folder"))) { error in
            XCTAssertTrue("\(error)".contains("no-such-folder") && "\(error)".contains("temporary file"), "\(error)")
        }
    }
}
