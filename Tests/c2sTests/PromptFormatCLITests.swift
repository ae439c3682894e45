import Foundation
import TestSupport
import XCTest

/// `--prompt-format` and `c2s formats` from the command line.
final class PromptFormatCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func testFormatsListsAndShowsTheProfiles() throws {
        var r = try c2s(["formats"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t")[0] }
        XCTAssertEqual(names, ["c2s", "cell2sentence", "c2s-scale"])
        r = try c2s(["formats", "c2s-scale"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(String(decoding: r.stdout, as: UTF8.self).contains("The cell type corresponding to these genes is:"))
        r = try c2s(["formats", "gpt"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("unknown prompt format 'gpt'"), r.stderr)
    }

    /// A model folder named like a published checkpoint gets its format, with warnings where the
    /// run leaves it; a task the format lacks is an error naming the way out.
    func testTaskCommandsDetectTheFormatAndWarnOnDeviations() throws {
        let helper = TaskCLITests(name: "setting", testClosure: { _ in })
        let s = try helper.setting()
        let published = s.tmp.file("C2S-Pythia-410m-cell-type-prediction")
        try FileManager.default.copyItem(atPath: s.model, toPath: published)
        let out = s.tmp.file("annotated.h5ad")
        var r = try c2s(["annotate", "--model", published, s.sentences, "-o", out, "--top-genes", "8"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("the cell2sentence prompt format advises at least 200 genes"), r.stderr)
        r = try c2s(["annotate", "--model", published, s.sentences, "-o", out, "--overwrite", "--prompt-format", "c2s"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("trained with the cell2sentence prompt format, but prompts use c2s"), r.stderr)
        r = try c2s(["annotate", "--model", s.model, s.sentences, "-o", out, "--overwrite", "--prompt-format", "c2s-scale", "--top-genes", "200", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        r = try c2s(["predict-perturbation", "--model", published, "--control", s.sentences, "-o", s.tmp.file("p.h5ad"), "--perturbation", "drug"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("has no 'perturbation_prediction' prompt") && r.stderr.contains("--prompt-format c2s"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.tmp.file("p.h5ad")))
    }

    /// Prompts in a published checkpoint's format say so on every line; `c2s train` joins them
    /// as that family was trained and records the format, which the task commands then pick.
    func testTrainingOnAProfilesPromptsRecordsTheFormat() throws {
        let helper = TaskCLITests(name: "setting", testClosure: { _ in })
        let s = try helper.setting()
        let prompts = s.tmp.file("prompts.jsonl"), trained = s.tmp.file("trained")
        var r = try c2s(["prompts", s.sentences, "--task", "cell_type_prediction", "--prompt-format", "cell2sentence", "--top-k", "20",
                         "-o", prompts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try helper.lines(prompts)
        XCTAssertFalse(lines.isEmpty)
        XCTAssertTrue(lines.allSatisfy { $0["prompt_format"] as? String == "cell2sentence" })
        r = try c2s(["train", prompts, "--model", s.model, "--max-steps", "2", "--batch-size", "2", "-o", trained])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("prompts in the cell2sentence format: input and response tokenized apart"), r.stderr)
        let info = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trained + "/c2s.json"))) as? [String: Any])
        XCTAssertEqual(info["prompt_format"] as? String, "cell2sentence")
        XCTAssertEqual(info["separator"] as? String, "")
        // The task commands take the format from c2s.json.
        let out = s.tmp.file("annotated.h5ad")
        r = try c2s(["annotate", "--model", trained, s.sentences, "-o", out, "--top-genes", "20", "--prompt-format", "c2s"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("trained with the cell2sentence prompt format, but prompts use c2s"), r.stderr)

        // c2s's own prompts carry no prompt_format, and a file mixing the two is refused.
        let own = s.tmp.file("own.jsonl")
        r = try c2s(["prompts", s.sentences, "--task", "cell_type_prediction", "--top-k", "20", "--splits", s.tmp.file("splits.json"), "-o", own, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(try helper.lines(own).allSatisfy { $0["prompt_format"] == nil })
        let mixed = s.tmp.file("mixed.jsonl")
        try (String(contentsOfFile: prompts, encoding: .utf8) + String(contentsOfFile: own, encoding: .utf8)).write(toFile: mixed, atomically: true, encoding: .utf8)
        r = try c2s(["train", mixed, "--model", s.model, "--max-steps", "1", "-o", s.tmp.file("refused")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("mixes prompt formats"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.tmp.file("refused")))
    }
}
