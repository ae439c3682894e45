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
}
