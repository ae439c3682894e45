import Foundation
import TestSupport
import Transformer
import XCTest

/// `mpirun -np 2 c2s train` against one process with the same global batch, on a small
/// simulated dataset: the same losses and, to fp32 reduction order, the same weights; rank 0
/// alone writes; resuming with another number of ranks; a batch that cannot be split.
///
/// Needs Open MPI (`make test` installs it with apt): the test fails in CI when `mpirun` is
/// missing and skips elsewhere.
final class DataParallelCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    /// `mpirun`'s path, or a skip (a failure in CI).
    func mpirun() throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        if let path { return path }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail("CI must have Open MPI's mpirun (make deps installs openmpi-bin)")
        }
        throw XCTSkip("mpirun is not installed (apt install openmpi-bin): data-parallel CLI test skipped")
    }

    /// `c2s ARGS` as `ranks` MPI processes on this machine.
    func mpi(_ ranks: Int, _ args: [String]) throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        // Containers run tests as root, which Open MPI refuses unless told.
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return try runProcess(try mpirun(), ["-np", String(ranks), "--oversubscribe", TestPaths.c2sExecutable] + args, environment: environment)
    }

    /// Simulated cells → sentences → prompts of two tasks → a gene-aware tokenizer.
    func prepare(_ tmp: TemporaryFolder) throws -> (prompts: String, tokenizer: String) {
        for args in [["simulate", "-o", tmp.file("sim.h5ad"), "--cells", "240", "--cell-types", "4", "-q"],
                     ["convert", tmp.file("sim.h5ad"), "-o", tmp.file("sentences"), "--obs-columns", "cell_type", "-q"],
                     ["prompts", tmp.file("sentences"), "--task", "cell_type_prediction:2", "--task", "cell_type_generation:1",
                      "--examples", "240", "--label-column", "cell_type", "--stratify-by", "cell_type", "--top-k", "24",
                      "-o", tmp.file("prompts.jsonl"), "-q"],
                     ["tokenizer", "train", tmp.file("prompts.jsonl"), "--gene-aware", tmp.file("sentences"), "-o", tmp.file("tok")]] {
            let r = try c2s(args)
            XCTAssertEqual(r.status, 0, "\(args[0]): \(r.stderr)")
        }
        return (tmp.file("prompts.jsonl"), tmp.file("tok"))
    }

    func trainArgs(_ prompts: String, _ tokenizer: String, batchSize: Int = 8) -> [String] {
        ["train", prompts, "--new-model", "gpt_neox", "--hidden-size", "32", "--layers", "2", "--heads", "2", "--context", "96",
         "--tokenizer", tokenizer, "--batch-size", String(batchSize), "--gradient-accumulation", "2", "--learning-rate", "1e-3",
         "--max-steps", "6", "--save-every", "3", "--eval-every", "3", "--seed", "4"]
    }

    func stepLines(_ folder: String) throws -> [[String: Double]] {
        try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
    }

    /// The largest absolute difference between two models' weights (same tensor names).
    func largestDifference(_ a: String, _ b: String) throws -> Float {
        let x = try SafetensorsFile(path: a + "/model.safetensors"), y = try SafetensorsFile(path: b + "/model.safetensors")
        XCTAssertEqual(x.tensorNames.sorted(), y.tensorNames.sorted())
        var largest: Float = 0
        for name in x.tensorNames {
            let count = try x.info(name).shape.reduce(1, *)
            var u = [Float](repeating: 0, count: count), v = u
            try u.withUnsafeMutableBufferPointer { try x.copyFloats(name, into: $0.baseAddress!, count: count) }
            try v.withUnsafeMutableBufferPointer { try y.copyFloats(name, into: $0.baseAddress!, count: count) }
            for i in 0..<count { largest = max(largest, abs(u[i] - v[i])) }
        }
        return largest
    }

    func testTwoRanksTrainWhatOneProcessTrainsWithTheSameGlobalBatch() throws {
        _ = try mpirun()
        let tmp = try TemporaryFolder()
        let (prompts, tok) = try prepare(tmp)
        var r = try c2s(trainArgs(prompts, tok) + ["-o", tmp.file("one"), "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try mpi(2, trainArgs(prompts, tok) + ["-o", tmp.file("two")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let stdout = String(decoding: r.stdout, as: UTF8.self)
        XCTAssertEqual(stdout.components(separatedBy: "model: ").count - 1, 1, "rank 0 alone reports: \(stdout)")
        XCTAssertTrue(r.stderr.contains("data-parallel over 2 MPI ranks: each runs 4 of every 8 sequences"), r.stderr)
        XCTAssertTrue(r.stderr.contains("gradients summed after the backward pass (every rank on this machine"), r.stderr)

        let one = try stepLines(tmp.file("one")), two = try stepLines(tmp.file("two"))
        XCTAssertEqual(one.count, two.count)
        XCTAssertEqual(one.count, 6 + 2, "six steps and two validations")
        for (a, b) in zip(one, two) {
            XCTAssertEqual(a["step"], b["step"])
            for key in ["loss", "validation_loss"] where a[key] != nil {
                XCTAssertEqual(b[key]!, a[key]!, accuracy: 1e-6 * a[key]!, "\(key) at step \(a["step"]!)")
            }
            if let norm = a["grad_norm"] { XCTAssertEqual(b["grad_norm"]!, norm, accuracy: 1e-5 * norm) }
            XCTAssertEqual(a["tokens"], b["tokens"])
            if a["loss"] != nil { XCTAssertNotNil(b["allreduce_seconds"], "a data-parallel step reports its communication") }
        }
        // The stated tolerance (docs/DISTRIBUTED.md): fp32 gradients summed in another order,
        // through six AdamW steps at learning rate 1e-3.
        XCTAssertLessThanOrEqual(try largestDifference(tmp.file("one"), tmp.file("two")), 1e-5)
        for folder in ["two", "two/checkpoint-3", "two/checkpoint-6"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file(folder + "/model.safetensors")), folder)
        }
        let state = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("two/trainer_state.json")))) as? [String: Any])
        XCTAssertEqual((state["arguments"] as? [String: String])?["ranks"], "2")

        // Summing each layer's gradient during the backward pass instead (the default across
        // machines): with two ranks every element is the same a + b, so the weights are the
        // same bit for bit.
        r = try mpi(2, trainArgs(prompts, tok) + ["--overlap-allreduce", "-o", tmp.file("overlapped")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("gradients summed layer by layer during the backward pass"), r.stderr)
        XCTAssertEqual(try largestDifference(tmp.file("two"), tmp.file("overlapped")), 0)

        // A single-process checkpoint continued by two ranks ends where one process ends.
        try FileManager.default.copyItem(atPath: tmp.file("one"), toPath: tmp.file("mixed"))
        r = try mpi(2, trainArgs(prompts, tok) + ["--resume", tmp.file("mixed/checkpoint-3"), "-o", tmp.file("mixed"), "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThanOrEqual(try largestDifference(tmp.file("one"), tmp.file("mixed")), 1e-5)
        // And a two-rank checkpoint continued by one process.
        try FileManager.default.copyItem(atPath: tmp.file("two"), toPath: tmp.file("back"))
        r = try c2s(trainArgs(prompts, tok) + ["--resume", tmp.file("back/checkpoint-3"), "-o", tmp.file("back"), "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThanOrEqual(try largestDifference(tmp.file("two"), tmp.file("back")), 1e-5)
    }

    func testABatchThatCannotBeSplitOverTheRanksIsRefusedAndWritesNothing() throws {
        _ = try mpirun()
        let tmp = try TemporaryFolder()
        let (prompts, tok) = try prepare(tmp)
        let r = try mpi(2, trainArgs(prompts, tok, batchSize: 7) + ["-o", tmp.file("odd"), "-q"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("error: --batch-size 7 is not a multiple of the 2 ranks"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("odd")), "nothing written")
    }

    /// The ranks divide the prompt file between them: a bad line in the second rank's share
    /// fails the job with the message one process gives (its line number in the whole file),
    /// reported once, and nothing is written.
    func testABadLineInTheSecondRanksShareFailsAsOneProcessFails() throws {
        _ = try mpirun()
        let tmp = try TemporaryFolder()
        let (prompts, tok) = try prepare(tmp)
        var lines = try String(contentsOfFile: prompts, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines[lines.count - 10] = "{\"task\": \"cell_type_prediction\", \"split\": "
        try lines.joined(separator: "\n").write(toFile: tmp.file("bad.jsonl"), atomically: true, encoding: .utf8)
        let one = try c2s(trainArgs(tmp.file("bad.jsonl"), tok) + ["-o", tmp.file("one"), "-q"])
        XCTAssertNotEqual(one.status, 0)
        let message = try XCTUnwrap(one.stderr.split(separator: "\n").first { $0.hasPrefix("error: ") }).description
        XCTAssertTrue(message.contains("bad.jsonl: line \(lines.count - 9): not a JSON object"), message)
        let two = try mpi(2, trainArgs(tmp.file("bad.jsonl"), tok) + ["-o", tmp.file("two"), "-q"])
        XCTAssertNotEqual(two.status, 0)
        XCTAssertEqual(two.stderr.components(separatedBy: message).count - 1, 1, "reported once, as one process reports it: \(two.stderr)")
        for folder in ["one", "two"] { XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file(folder)), "nothing written") }
    }
}
