import Foundation
import TestSupport
import XCTest
@testable import C2S

/// `--overwrite` of a training run: the replaced output is moved aside while the new one is
/// written and is lost only when the new run finishes; a failed run brings it back (or, when
/// the failed run saved checkpoints, keeps both and says where).
final class TrainingOutputFolderTests: XCTestCase {
    /// A folder as an earlier training run leaves it.
    func earlierRun(_ path: String, weights: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "{}".write(toFile: path + "/trainer_state.json", atomically: true, encoding: .utf8)
        try weights.write(toFile: path + "/model.safetensors", atomically: true, encoding: .utf8)
    }

    func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    func testReplacedOutputGoesOnlyWhenTheNewRunFinishes() throws {
        let tmp = try TemporaryFolder()
        let out = tmp.file("out")
        try earlierRun(out, weights: "old")
        let folder = try TrainingOutputFolder(path: out, resume: nil, overwrite: true)
        try folder.create()
        XCTAssertEqual(folder.previousPath, tmp.file(".out.c2s-previous"))
        XCTAssertEqual(read(folder.previousPath + "/model.safetensors"), "old", "moved aside, not deleted")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [], "the new run starts in an empty folder")
        try "new".write(toFile: out + "/model.safetensors", atomically: true, encoding: .utf8)
        folder.finish()
        XCTAssertEqual(read(out + "/model.safetensors"), "new")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.previousPath))
    }

    func testAFailedRunBringsTheReplacedOutputBack() throws {
        let tmp = try TemporaryFolder()
        let out = tmp.file("out")
        try earlierRun(out, weights: "old")
        let folder = try TrainingOutputFolder(path: out, resume: nil, overwrite: true)
        try folder.create()
        try "{}".write(toFile: out + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let note = try XCTUnwrap(folder.restore())
        XCTAssertTrue(note.contains("as it was"), note)
        XCTAssertEqual(read(out + "/model.safetensors"), "old")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/metrics.jsonl"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.previousPath))
    }

    func testAFailedRunWithCheckpointsKeepsBothAndSaysWhere() throws {
        let tmp = try TemporaryFolder()
        let out = tmp.file("out")
        try earlierRun(out, weights: "old")
        let folder = try TrainingOutputFolder(path: out, resume: nil, overwrite: true)
        try folder.create()
        try FileManager.default.createDirectory(atPath: out + "/checkpoint-3", withIntermediateDirectories: true)
        let note = try XCTUnwrap(folder.restore())
        XCTAssertTrue(note.contains(folder.previousPath) && note.contains("checkpoints"), note)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/checkpoint-3"))
        XCTAssertEqual(read(folder.previousPath + "/model.safetensors"), "old")
    }

    /// A killed run leaves the replaced output aside and its own partial folder in place; the
    /// next --overwrite run keeps the earlier output aside (not the partial one) until it
    /// finishes; without --overwrite nothing is replaced at all.
    func testAKilledRunsPartialOutputIsDroppedAndTheEarlierOutputKept() throws {
        let tmp = try TemporaryFolder()
        let out = tmp.file("out")
        try earlierRun(out, weights: "old")
        try TrainingOutputFolder(path: out, resume: nil, overwrite: true).create()
        try earlierRun(out, weights: "partial")  // the killed run got this far
        let next = try TrainingOutputFolder(path: out, resume: nil, overwrite: true)
        try next.create()
        XCTAssertEqual(read(next.previousPath + "/model.safetensors"), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
        XCTAssertNotNil(next.restore())
        XCTAssertEqual(read(out + "/model.safetensors"), "old", "failing again still gives the earlier output back")
        XCTAssertThrowsError(try TrainingOutputFolder(path: out, resume: nil, overwrite: false))
    }

    /// A live process's claim stops a second run; a dead one's is cleared; the claim goes with
    /// the folder object.
    func testASecondWriterStopsWhileTheFirstLives() throws {
        let tmp = try TemporaryFolder()
        let out = tmp.file("out")
        let live = tmp.file(".out.c2s-train-1")  // process 1 always runs
        XCTAssertTrue(FileManager.default.createFile(atPath: live, contents: nil))
        XCTAssertThrowsError(try TrainingOutputFolder(path: out, resume: nil, overwrite: false)) { error in
            XCTAssertTrue("\(error)".contains("process 1"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: live)
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = tmp.file(".out.c2s-train-\(finished.processIdentifier)")
        XCTAssertTrue(FileManager.default.createFile(atPath: dead, contents: nil))
        var folder: TrainingOutputFolder? = try TrainingOutputFolder(path: out, resume: nil, overwrite: false)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead), "a dead run's claim is cleared")
        let mine = tmp.file(".out.c2s-train-\(getpid())")
        XCTAssertTrue(FileManager.default.fileExists(atPath: mine))
        XCTAssertNotNil(folder)
        folder = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: mine), "released with the folder object")
    }
}
