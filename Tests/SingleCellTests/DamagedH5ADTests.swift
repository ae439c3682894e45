import Foundation
@testable import SingleCell
import TestSupport
import XCTest

/// Damaged .h5ad files are refused with an error naming the file and the problem instead of
/// being read into wrong labels (issue 17). Fixtures: scripts/fixtures/make_damaged_h5ad.py.
final class DamagedH5ADTests: XCTestCase {
    func testAnOutOfRangeCategoricalCodeIsRefused() throws {
        let path = TestPaths.fixtures.appendingPathComponent("h5ad/damaged/categorical_code_out_of_range.h5ad").path
        XCTAssertThrowsError(try H5ADSource(path: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path) && text.contains("'cell_type'") && text.contains("code 7 at row 4")
                          && text.contains("outside its 3 categories"), text)
        }
        let r = try runProcess(TestPaths.c2sExecutable, ["convert", path, "-o", try TemporaryFolder().file("out"), "--quiet"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("outside its 3 categories"), r.stderr)
    }

    func testADuplicateColumnIndexInARowIsRefused() throws {
        let path = TestPaths.fixtures.appendingPathComponent("h5ad/damaged/duplicate_column_index.h5ad").path
        let tmp = try TemporaryFolder()
        let r = try runProcess(TestPaths.c2sExecutable, ["convert", path, "-o", tmp.file("out"), "--quiet"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains(path) && r.stderr.contains("row 3 stores column 2 more than once"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")))
        let csc = TestPaths.fixtures.appendingPathComponent("h5ad/damaged/duplicate_row_index_csc.h5ad").path
        XCTAssertThrowsError(try H5ADSource(path: csc)) { error in
            XCTAssertTrue("\(error)".contains(csc) && "\(error)".contains("column 1 stores row 4 more than once"), "\(error)")
        }
        // Unsorted rows are fine as long as no column repeats.
        XCTAssertNil(CSRDatasetReader.firstDuplicate([3, 1, 2, 0, 2, 1], rowPointers: [0, 4, 6], columns: 4))
        let found = try XCTUnwrap(CSRDatasetReader.firstDuplicate([3, 1, 0, 1], rowPointers: [0, 1, 4], columns: 4))
        XCTAssertEqual(found.row, 1)
        XCTAssertEqual(found.column, 1)
    }

    /// A CSC shape attribute is the only bound on its rows: 2^40 of them are refused by obs's
    /// six rows, before the transpose's pass over the values and before anything per row is
    /// allocated (reading the matrix whole, as c2s did, allocated 8 TB of row counts and crashed).
    func testACSCMatrixClaimingMoreRowsThanObsIsRefusedBeforeItsTranspose() throws {
        let path = TestPaths.fixtures.appendingPathComponent("h5ad/damaged/csc_shape_claims_2_40_rows.h5ad").path
        XCTAssertThrowsError(try H5ADSource(path: path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("obs has 6 rows but the matrix has 1099511627776 cells"), "\(error)")
        }
        let tmp = try TemporaryFolder()
        let r = try runProcess(TestPaths.c2sExecutable, ["convert", path, "-o", tmp.file("out"), "--quiet"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")))
    }

    /// One flipped bit in a string's global-heap entry made libhdf5 segfault (H5HG_read) inside
    /// `c2s convert`. The file is walked in a child process first (`HDF5Probe`): the crash is
    /// the child's, and convert fails with one line naming the file, leaving nothing behind.
    func testAFileThatCrashesLibhdf5IsAnErrorNamingIt() throws {
        let path = TestPaths.fixtures.appendingPathComponent("h5ad/damaged/global_heap_string_size.h5ad").path
        let tmp = try TemporaryFolder()
        let r = try runProcess(TestPaths.c2sExecutable, ["convert", path, "-o", tmp.file("out"), "--min-genes", "0", "--min-cells", "0"])
        XCTAssertEqual(r.status, 2, r.stderr)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(path): corrupt HDF5: libhdf5 crashed reading it"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [], "output or temporaries left behind")
    }
}
