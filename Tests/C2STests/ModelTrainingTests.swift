import C2S
import Foundation
import TestSupport
import Transformer
import XCTest

/// The training workflow as a library call (what `c2s train` wraps): the events it reports, the
/// folder it writes, and bad input that leaves nothing behind.
final class ModelTrainingTests: XCTestCase {
    let base = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path

    func writePrompts(_ path: String, examples: Int) throws {
        let labels = ["alpha", "beta"]
        let lines = try (0..<examples).map { i -> String in
            let object: [String: Any] = ["task": "cell_type_prediction", "split": i % 4 == 3 ? "validation" : "train", "cell_name": "c\(i)",
                                         "model_input": "Top genes: gene\(i % 2) gene\(2 + i % 3). Cell type:", "response": labels[i % 2]]
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testFineTuningReportsItsPlanStepsAndValidationAndSavesTheModel() throws {
        let tmp = try TemporaryFolder()
        try writePrompts(tmp.file("prompts.jsonl"), examples: 16)
        var settings = ModelTrainingSettings(prompts: tmp.file("prompts.jsonl"), output: tmp.file("out"), source: .pretrained(folder: base))
        settings.options.batchSize = 4
        settings.options.epochs = 1
        settings.options.learningRate = 1e-3
        settings.evalEvery = 2
        var events: [String] = []
        var plan: ModelTrainingPlan?
        let result = try ModelTraining.run(settings) { event in
            switch event {
            case .planned(let p):
                plan = p
                // Nothing is written before the plan is reported.
                XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")))
                events.append("planned")
            case .step(let m): events.append("step \(m.step)")
            case .validation(let v): events.append("validation \(v.step)")
            case .checkpoint: events.append("checkpoint")
            case .note(let n): events.append("note \(n)")
            }
        }
        let p = try XCTUnwrap(plan)
        XCTAssertEqual(p.trainExamples, 12)
        XCTAssertEqual(p.validationExamples, 4)
        XCTAssertEqual(p.totalSteps, 3)
        XCTAssertEqual(p.firstStep, 0)
        XCTAssertEqual(events, ["planned", "step 1", "step 2", "validation 2", "step 3", "validation 3"])
        XCTAssertEqual(result.steps, 3)
        XCTAssertTrue(result.lastLoss.isFinite)
        XCTAssertEqual(result.lastValidation?.step, 3)
        XCTAssertEqual(result.records.count, 5)
        // The saved folder is a model the engine loads again, with its metadata.
        let model = try ModelLoader.load(folder: URL(fileURLWithPath: tmp.file("out")))
        XCTAssertEqual(model.info.modelType, "gpt_neox")
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("out/c2s.json")))
    }

    /// --eval-examples: validation reads only the first N validation examples (the loss then
    /// equals a run validated on a file holding just those), training is unchanged.
    func testValidationLimitKeepsTheFirstExamplesOfTheSplit() throws {
        let tmp = try TemporaryFolder()
        try writePrompts(tmp.file("prompts.jsonl"), examples: 32)
        func run(_ prompts: String, limit: Int?, out: String) throws -> (ModelTrainingPlan?, ModelTrainingResult) {
            var settings = ModelTrainingSettings(prompts: tmp.file(prompts), output: tmp.file(out), source: .pretrained(folder: base))
            settings.options.batchSize = 4
            settings.options.maxSteps = 2
            settings.options.learningRate = 1e-3
            settings.validationLimit = limit
            var plan: ModelTrainingPlan?
            let result = try ModelTraining.run(settings) { if case .planned(let p) = $0 { plan = p } }
            return (plan, result)
        }
        let (limitedPlan, limited) = try run("prompts.jsonl", limit: 3, out: "limited")
        XCTAssertEqual(limitedPlan?.trainExamples, 24)
        XCTAssertEqual(limitedPlan?.validationExamples, 3)
        // The same run on a file whose validation split is only the first three.
        let lines = try String(contentsOfFile: tmp.file("prompts.jsonl"), encoding: .utf8).split(separator: "\n")
        var kept = 0
        let firstThree = lines.filter { line in
            guard line.contains("\"validation\"") else { return true }
            kept += 1
            return kept <= 3
        }
        try (firstThree.joined(separator: "\n") + "\n").write(toFile: tmp.file("three.jsonl"), atomically: true, encoding: .utf8)
        let (_, reference) = try run("three.jsonl", limit: nil, out: "reference")
        XCTAssertEqual(limited.lastLoss, reference.lastLoss, "training is unchanged")
        XCTAssertEqual(try XCTUnwrap(limited.lastValidation?.loss), try XCTUnwrap(reference.lastValidation?.loss), accuracy: 1e-12)
        let (allPlan, _) = try run("prompts.jsonl", limit: 100, out: "all")
        XCTAssertEqual(allPlan?.validationExamples, 8, "a limit above the split's size keeps all of it")
    }

    func testBadInputLeavesNoOutput() throws {
        let tmp = try TemporaryFolder()
        try writePrompts(tmp.file("prompts.jsonl"), examples: 8)
        var settings = ModelTrainingSettings(prompts: tmp.file("prompts.jsonl"), output: tmp.file("out"), source: .pretrained(folder: base))
        settings.split = "holdout"
        XCTAssertThrowsError(try ModelTraining.run(settings)) { error in
            XCTAssertTrue("\(error)".contains("no examples in split \"holdout\""), "\(error)")
        }
        settings.split = "train"
        settings.source = .new(.init(type: "gpt_neox", hiddenSize: 8, layers: 1, heads: 2, context: 32))
        XCTAssertThrowsError(try ModelTraining.run(settings)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")))
    }
}
