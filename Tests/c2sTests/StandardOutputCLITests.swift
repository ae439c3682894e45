import Foundation
import TestSupport
import XCTest

/// Outputs that are not files: a closed pipe on standard output is an error with a message, and a
/// prompt dataset's missing column is named with the dataset it is missing from.
final class StandardOutputCLITests: XCTestCase {
    func testAClosedPipeIsAnErrorNotASilentKill() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.c2sExecutable)
        process.arguments = ["formats"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // Nobody will read: every write to standard output fails with EPIPE.
        try out.fileHandleForReading.close()
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "killed by a signal instead of reporting the closed pipe")
        XCTAssertEqual(process.terminationStatus, 1, stderr)
        XCTAssertTrue(stderr.hasPrefix("error: standard output: cannot be written (Broken pipe)"), stderr)
    }

    func testAMissingColumnNamesTheDataset() throws {
        let tmp = try TemporaryFolder()
        let counts = tmp.file("sim.h5ad"), sentences = tmp.file("sentences"), prompts = tmp.file("p.jsonl")
        var r = try runProcess(TestPaths.c2sExecutable, ["simulate", "--cells", "20", "--genes", "60", "--cell-types", "2", "-o", counts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runProcess(TestPaths.c2sExecutable, ["convert", counts, "-o", sentences, "--obs-columns", "cell_type", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runProcess(TestPaths.c2sExecutable, ["prompts", sentences, "--task", "cell_type_prediction", "--label-column", "tissue", "-o", prompts])
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(sentences): ") && r.stderr.contains("column 'tissue' is not in the dataset"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: prompts))
    }
}
