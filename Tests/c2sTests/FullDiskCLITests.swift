import Foundation
import TestSupport
import XCTest

/// On a full disk `simulate` and `reconstruct` segfaulted (libhdf5's exit handler closing the
/// file it could not flush) and `lm generate` died in Foundation's non-throwing write. Each
/// must fail with one line naming the file and the problem, exit non-zero, and leave neither
/// the output nor a temporary behind (issue 17).
final class FullDiskCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func assertCleanFailure(_ r: ProcessResult, output: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 2, r.stderr, file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(output): "), r.stderr, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "partial output left", file: file, line: line)
    }

    /// A 1 MiB tmpfs mounted with `options` for the test, inside `tmp` (root only: skipped elsewhere).
    func withTmpfs(_ options: String, in tmp: TemporaryFolder, _ body: (String) throws -> Void) throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let mountPoint = tmp.file("disk")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=1m" + options, "tmpfs", mountPoint])
        guard mounted.status == 0 else { throw XCTSkip("cannot mount a tmpfs here: \(mounted.stderr)") }
        defer { _ = try? runProcess("/bin/umount", [mountPoint]) }
        try body(mountPoint)
    }

    /// A 1 MiB tmpfs, mounted for the test (root only: skipped elsewhere).
    func withFullDisk(_ body: (String) throws -> Void) throws {
        try withTmpfs("", in: try TemporaryFolder()) { mountPoint in
            try body(mountPoint)
            let left = try FileManager.default.contentsOfDirectory(atPath: mountPoint).filter { $0 != "fill" }
            XCTAssertEqual(left, [], "temporaries left on the full disk")
        }
    }

    func testSimulateOnAFullDisk() throws {
        try withFullDisk { disk in
            let out = disk + "/sim.h5ad"
            assertCleanFailure(try c2s(["simulate", "-o", out, "--cells", "20000", "--genes", "2000", "--quiet"]), output: out)
        }
    }

    func testReconstructOnAFullDisk() throws {
        let tmp = try TemporaryFolder()
        XCTAssertEqual(try c2s(["simulate", "-o", tmp.file("sim.h5ad"), "--cells", "3000", "--genes", "2000", "--quiet"]).status, 0)
        let convert = try c2s(["convert", tmp.file("sim.h5ad"), "-o", tmp.file("ds"), "--min-genes", "0", "--fit-cells", "64", "--quiet"])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        try withFullDisk { disk in
            let out = disk + "/rec.h5ad"
            assertCleanFailure(try c2s(["reconstruct", tmp.file("ds"), "-o", out, "--quiet"]), output: out)
        }
    }

    func testGenerateOnAFullDisk() throws {
        let model = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path
        try withFullDisk { disk in
            // Fill the disk first: the few lines generate writes would fit otherwise.
            XCTAssertTrue(FileManager.default.createFile(atPath: disk + "/fill", contents: nil))
            let fill = try XCTUnwrap(FileHandle(forWritingAtPath: disk + "/fill"))
            while (try? fill.write(contentsOf: Data(count: 4096))) != nil {}
            try? fill.close()
            let out = disk + "/generated.jsonl"
            let r = try c2s(["lm", "generate", "--model", model, "--prompt", "The cell", "--max-new-tokens", "3", "-o", out, "--quiet"])
            assertCleanFailure(r, output: out)
            XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr)
        }
    }

    /// Standard output on a full device (no root needed): the same one-line error.
    func testGenerateToAFullStandardOutput() throws {
        guard let full = FileHandle(forWritingAtPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.c2sExecutable)
        process.arguments = ["lm", "generate", "--model", TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path,
                             "--prompt", "The cell", "--max-new-tokens", "3", "--quiet"]
        process.standardOutput = full
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, text)
        XCTAssertEqual(process.terminationStatus, 2, text)
        XCTAssertTrue(text.hasPrefix("error: standard output: cannot be written (No space left on device)"), text)
    }

    /// A read-only output folder (a read-only tmpfs: root ignores permission bits): each command
    /// that writes a file or a folder says so in one line and leaves nothing.
    func testAReadOnlyOutputFolder() throws {
        let tmp = try TemporaryFolder()
        try withTmpfs(",ro", in: tmp) { folder in
            XCTAssertEqual(try c2s(["simulate", "-o", tmp.file("sim.h5ad"), "--cells", "50", "--genes", "80", "--quiet"]).status, 0)
            for (args, out) in [(["simulate", "-o", folder + "/sim.h5ad", "--cells", "50", "--genes", "80", "--quiet"], folder + "/sim.h5ad"),
                                (["convert", tmp.file("sim.h5ad"), "-o", folder + "/ds", "--min-genes", "0", "--quiet"], folder + "/ds")] {
                let r = try c2s(args)
                XCTAssertNotEqual(r.status, 0, "\(args[0]): \(r.stderr)")
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
                XCTAssertTrue(r.stderr.hasPrefix("error: ") && r.stderr.contains(out) && r.stderr.contains("cannot"), "\(args[0]): \(r.stderr)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: out))
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
        }
    }
}
