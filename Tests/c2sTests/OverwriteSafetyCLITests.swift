import Foundation
import TestSupport
import XCTest

/// `--overwrite` replaces only c2s's own earlier output: never a folder holding an input, never
/// the input itself, never a folder of the user's (issue 17's data-loss cases).
final class OverwriteSafetyCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func testConvertNeverReplacesTheFolderHoldingItsInputOrAUsersFolder() throws {
        let tmp = try TemporaryFolder()
        let d = tmp.file("d")
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: false)
        var r = try c2s(["simulate", "--cells", "20", "--genes", "60", "-o", d + "/in.h5ad", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", d + "/in.h5ad", "-o", d, "--overwrite", "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("holds the input"), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: d + "/in.h5ad"), "the input is still there")

        // A folder of the user's (no manifest.json) is not replaced.
        let mine = tmp.file("mine")
        try FileManager.default.createDirectory(atPath: mine, withIntermediateDirectories: false)
        try "keep me".write(toFile: mine + "/notes.txt", atomically: true, encoding: .utf8)
        r = try c2s(["convert", d + "/in.h5ad", "-o", mine, "--overwrite", "--min-genes", "0", "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("not an earlier output"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: mine + "/notes.txt", encoding: .utf8), "keep me")

        // c2s's own earlier dataset is replaced.
        r = try c2s(["convert", d + "/in.h5ad", "-o", tmp.file("ds"), "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", d + "/in.h5ad", "-o", tmp.file("ds"), "--overwrite", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testTrainNeverReplacesTheFolderHoldingItsPrompts() throws {
        let tmp = try TemporaryFolder()
        let d = tmp.file("d")
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: false)
        var r = try c2s(["simulate", "--cells", "30", "--genes", "60", "-o", tmp.file("sim.h5ad"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", tmp.file("sim.h5ad"), "-o", tmp.file("ds"), "--obs-columns", "cell_type", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["prompts", tmp.file("ds"), "--task", "cell_type_prediction", "--top-k", "8", "-o", d + "/prompts.jsonl", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["tokenizer", "train", d + "/prompts.jsonl", "--gene-aware", tmp.file("ds"), "-o", tmp.file("tok")])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["train", d + "/prompts.jsonl", "--new-model", "gpt_neox", "--hidden-size", "16", "--layers", "1", "--heads", "2",
                     "--context", "64", "--tokenizer", tmp.file("tok"), "--max-steps", "1", "-o", d, "--overwrite", "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("holds the input"), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: d + "/prompts.jsonl"), "the prompts are still there")
        // A folder of the user's is not replaced either.
        let mine = tmp.file("mine")
        try FileManager.default.createDirectory(atPath: mine, withIntermediateDirectories: false)
        try "keep me".write(toFile: mine + "/notes.txt", atomically: true, encoding: .utf8)
        r = try c2s(["train", d + "/prompts.jsonl", "--new-model", "gpt_neox", "--hidden-size", "16", "--layers", "1", "--heads", "2",
                     "--context", "64", "--tokenizer", tmp.file("tok"), "--max-steps", "1", "-o", mine, "--overwrite", "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("not the output of an earlier training run"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: mine + "/notes.txt", encoding: .utf8), "keep me")
    }
}
