import Foundation
import SingleCell
import TestSupport
import XCTest

/// Atomic outputs: an interrupted run's leftovers are cleaned up by the next run, and a second
/// run writing the same output while the first still runs stops with a clear error instead of
/// silently replacing it.
final class AtomicOutputTests: XCTestCase {
    /// The id of a process that has exited.
    func deadProcessID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        XCTAssertNotEqual(kill(p.processIdentifier, 0), 0, "the process is gone")
        return p.processIdentifier
    }

    func testAnInterruptedRunsLeftoversAreRemoved() throws {
        let tmp = try TemporaryFolder()
        let dead = try deadProcessID()
        let leftover = tmp.file(".ds.tmp-\(dead)")
        try FileManager.default.createDirectory(atPath: leftover + "/inside", withIntermediateDirectories: true)
        try "x".write(toFile: tmp.file(".ds.tmp-\(dead).old"), atomically: true, encoding: .utf8)
        let out = try AtomicOutput(tmp.file("ds"), folder: true, overwrite: false)
        try "done".write(toFile: out.path("file.txt"), atomically: true, encoding: .utf8)
        try out.commit()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted(), ["ds"], "only the output is left")
        XCTAssertEqual(try String(contentsOfFile: tmp.file("ds/file.txt"), encoding: .utf8), "done")
    }

    func testASecondWriterWhileTheFirstRunsStops() throws {
        let tmp = try TemporaryFolder()
        // A live process (this test's parent) holding a temporary output of the same name.
        let other = getppid()
        XCTAssertTrue(kill(other, 0) == 0 || errno == EPERM)
        try FileManager.default.createDirectory(atPath: tmp.file(".ds.tmp-\(other)"), withIntermediateDirectories: false)
        XCTAssertThrowsError(try AtomicOutput(tmp.file("ds"), folder: true, overwrite: true)) { error in
            XCTAssertTrue("\(error)".contains("another c2s run (process \(other)) is writing this output now"), "\(error)")
        }
        XCTAssertThrowsError(try AtomicOutput(tmp.file("ds"), folder: false, overwrite: true))
        // Nothing of this run is left; the other run's folder is untouched.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [".ds.tmp-\(other)"])
        // Another output name in the same folder is not affected.
        let out = try AtomicOutput(tmp.file("other.csv"), folder: false, overwrite: false)
        try out.commit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("other.csv")))
    }
}
