import C2S
import Foundation
import Prompts
import TestSupport
import XCTest

/// Which prompt format a run uses, and its warnings when prompts leave the model's format.
final class PromptFormatChoiceTests: XCTestCase {
    func folder(_ tmp: TemporaryFolder, _ name: String, nameOrPath: String?, c2sJSON: [String: Any]?) throws -> (String, C2SMetadata?) {
        let dir = tmp.file(name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var config: [String: Any] = ["model_type": "gemma2"]
        if let nameOrPath { config["_name_or_path"] = nameOrPath }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        if let c2sJSON { try JSONSerialization.data(withJSONObject: c2sJSON).write(to: URL(fileURLWithPath: dir + "/c2s.json")) }
        return (dir, try C2SMetadata.read(folder: dir))
    }

    func testDetectionFromC2SJSONThenNameOrPathThenFolderName() throws {
        let tmp = try TemporaryFolder()
        var (dir, meta) = try folder(tmp, "a", nameOrPath: "vandijklab/C2S-Scale-Gemma-2-2B", c2sJSON: nil)
        XCTAssertEqual(PromptFormatChoice.detect(folder: dir, metadata: meta)?.profile.name, "c2s-scale")
        (dir, meta) = try folder(tmp, "b", nameOrPath: "vandijklab/C2S-Scale-Gemma-2-2B", c2sJSON: ["prompt_format": "cell2sentence"])
        XCTAssertEqual(PromptFormatChoice.detect(folder: dir, metadata: meta)?.profile.name, "cell2sentence")
        (dir, meta) = try folder(tmp, "C2S-Pythia-410m-cell-type-prediction", nameOrPath: "/scratch/ckpt-7600", c2sJSON: nil)
        XCTAssertEqual(PromptFormatChoice.detect(folder: dir, metadata: meta)?.profile.name, "cell2sentence")
        (dir, meta) = try folder(tmp, "mine", nameOrPath: "EleutherAI/pythia-160m", c2sJSON: ["top_k": 100])
        XCTAssertNil(PromptFormatChoice.detect(folder: dir, metadata: meta))
        let choice = try PromptFormatChoice(requested: nil, folder: dir, metadata: meta, genes: 100)
        XCTAssertEqual(choice.profile.name, "c2s")
        XCTAssertEqual(choice.warnings, [])
    }

    func testDeviationsFromTheModelsFormatAreWarnings() throws {
        let tmp = try TemporaryFolder()
        let (dir, meta) = try folder(tmp, "scale", nameOrPath: "vandijklab/C2S-Scale-Gemma-2-27B", c2sJSON: nil)
        var choice = try PromptFormatChoice(requested: nil, folder: dir, metadata: meta, genes: 200)
        XCTAssertEqual(choice.profile.name, "c2s-scale")
        XCTAssertEqual(choice.warnings, [])
        choice = try PromptFormatChoice(requested: nil, folder: dir, metadata: meta, genes: 100)
        XCTAssertEqual(choice.warnings.count, 1)
        XCTAssertTrue(choice.warnings[0].contains("at least 200 genes"), choice.warnings[0])
        choice = try PromptFormatChoice(requested: "c2s", folder: dir, metadata: meta, genes: 200)
        XCTAssertEqual(choice.profile.name, "c2s")
        XCTAssertTrue(choice.warnings.contains { $0.contains("trained with the c2s-scale prompt format, but prompts use c2s") }, "\(choice.warnings)")
        choice = try PromptFormatChoice(requested: nil, folder: dir, metadata: meta, taskFile: true, genes: 200)
        XCTAssertTrue(choice.warnings.contains { $0.contains("--task-file") }, "\(choice.warnings)")
        XCTAssertThrowsError(try PromptFormatChoice(requested: "nope", folder: dir, metadata: meta))
    }

    /// A checkpoint's format has no perturbation prompt: the error says how to get c2s's.
    func testATaskTheFormatLacksIsAClearError() {
        XCTAssertThrowsError(try TaskPrompt(task: "perturbation_prediction", kind: .perturbation, profile: PromptProfiles.c2sScale)) { e in
            XCTAssertTrue("\(e)".contains("--prompt-format c2s"), "\(e)")
        }
        XCTAssertThrowsError(try TaskPrompt(task: "cell_type_prediction", kind: .singleCell, template: 2, profile: PromptProfiles.cell2sentence))
    }
}
