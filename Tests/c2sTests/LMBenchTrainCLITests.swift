import Foundation
import TestSupport
import XCTest

/// The hidden `c2s lm bench-train` that bench/train/run.sh times.
final class LMBenchTrainCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func testRandomModelTrainsAndReports() throws {
        let config = TestPaths.fixtures.appendingPathComponent("training/gpt_neox_parallel/config.json").path
        let r = try c2s(["lm", "bench-train", "--config", config, "--batch", "3", "--tokens", "20", "--steps", "4",
                         "--warmup", "1", "--learning-rate", "0.01"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        XCTAssertEqual(json["tokens_per_step"] as? Int, 60)
        XCTAssertGreaterThan(try XCTUnwrap(json["tokens_per_s"] as? Double), 0)
        let losses = try XCTUnwrap(json["losses"] as? [Double])
        XCTAssertEqual(losses.count, 4)
        XCTAssertTrue(losses.allSatisfy { $0.isFinite && $0 > 0 })
        // Fine-tuning a loaded checkpoint works the same way.
        let model = TestPaths.fixtures.appendingPathComponent("training/gpt2").path
        let g = try c2s(["lm", "bench-train", "--model", model, "--batch", "2", "--tokens", "16", "--steps", "1", "--warmup", "0"])
        XCTAssertEqual(g.status, 0, g.stderr)
    }

    func testRefusesWhatItCannotTrain() throws {
        // Gemma-2 trains now; a run longer than its context is refused by name.
        let gemma = TestPaths.fixtures.appendingPathComponent("lm/gemma2").path
        let r = try c2s(["lm", "bench-train", "--model", gemma, "--steps", "1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("context of 64"), r.stderr)
        let ok = try c2s(["lm", "bench-train", "--model", gemma, "--batch", "2", "--tokens", "32", "--steps", "1", "--warmup", "0"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let config = TestPaths.fixtures.appendingPathComponent("training/gpt2/config.json").path
        let long = try c2s(["lm", "bench-train", "--config", config, "--tokens", "161", "--steps", "1"])
        XCTAssertNotEqual(long.status, 0)
        XCTAssertTrue(long.stderr.contains("context of 160"), long.stderr)
        let both = try c2s(["lm", "bench-train", "--config", config, "--model", gemma])
        XCTAssertNotEqual(both.status, 0)
    }
}
