import Evaluation
import Foundation
@testable import Reports
import TestSupport
import XCTest

/// The training part of `c2s report eval`: per-task loss curves read from metrics.jsonl, the
/// total as a fallback for logs without them, and the training arguments folded away.
final class TrainingLossReportTests: XCTestCase {
    let tasks = ["cell_type_generation", "cell_type_prediction"]

    /// A log as `c2s train` writes it for a run that mixes two tasks: each step's batch holds
    /// one or both tasks, and each validation scores both. `withTasks: false` leaves out the
    /// per-task keys, as logs written before them.
    func perTaskLog(steps: Int, withTasks: Bool = true) -> String {
        var log = ""
        for step in 1...steps {
            var line = "{\"step\":\(step),\"epoch\":0.5,\"loss\":\(3.0 / Double(step)),\"lr\":0.001,\"grad_norm\":1,\"tokens\":100,\"target_tokens\":50,\"tokens_per_second\":1000,\"seconds\":0.1,\"elapsed\":1"
            if withTasks {
                line += ",\"loss/cell_type_generation\":\(4.0 / Double(step))"
                if step % 3 != 0 { line += ",\"loss/cell_type_prediction\":\(0.5 / Double(step))" }
            }
            log += line + "}\n"
            if step % 10 == 0 {
                log += "{\"step\":\(step),\"epoch\":0.5,\"validation_loss\":\(3.5 / Double(step)),\"validation_perplexity\":2,\"validation_tokens\":40,\"seconds\":0.1,\"elapsed\":1"
                    + (withTasks ? ",\"validation_loss/cell_type_generation\":\(4.5 / Double(step)),\"validation_loss/cell_type_prediction\":\(0.6 / Double(step))" : "") + "}\n"
            }
        }
        return log
    }

    func read(_ text: String, trainerState: String? = nil) throws -> TrainingLog {
        let tmp = try TemporaryFolder()
        try text.write(toFile: tmp.file("metrics.jsonl"), atomically: true, encoding: .utf8)
        if let trainerState { try trainerState.write(toFile: tmp.file("trainer_state.json"), atomically: true, encoding: .utf8) }
        return try TrainingLog.read(tmp.file("metrics.jsonl"))
    }

    func page(_ log: TrainingLog) throws -> XMLSummary {
        var inputs = EvaluationReportInputs()
        inputs.training = log
        return try XMLSummary.parse(EvaluationReport.build(inputs).render())
    }

    func testPerTaskLossesAreReadFromTheLog() throws {
        let log = try read(perTaskLog(steps: 60))
        XCTAssertEqual(log.tasks, tasks)
        XCTAssertEqual(log.training.count, 60)
        XCTAssertEqual(log.trainingByTask["cell_type_generation"]?.count, 60)
        XCTAssertEqual(log.trainingByTask["cell_type_prediction"]?.count, 40, "only the steps whose batch held the task")
        XCTAssertEqual(log.trainingByTask["cell_type_prediction"]?.first?.loss ?? .nan, 0.5, accuracy: 1e-12)
        XCTAssertEqual(log.validationByTask["cell_type_prediction"]?.map(\.step), [10, 20, 30, 40, 50, 60])
        XCTAssertEqual(log.validationByTask["cell_type_generation"]?.last?.loss ?? .nan, 4.5 / 60, accuracy: 1e-12)
        XCTAssertNil(log.trainingByTask["validation_loss/cell_type_prediction"], "validation keys are not training tasks")
    }

    /// One training line and one validation line per task, each named in the legend.
    func testLossFigureHasOneCurvePerTask() throws {
        let doc = try page(try read(perTaskLog(steps: 60)))
        let series = doc.classed("series")
        XCTAssertEqual(series.count, 2 * tasks.count)
        let seriesTitles = doc.elements("title").map(\.text)
        let legend = doc.svgTexts
        for task in tasks {
            for kind in ["training", "validation"] {
                XCTAssertTrue(seriesTitles.contains("\(task) \(kind)"), "no \(kind) curve of \(task): \(seriesTitles)")
                XCTAssertTrue(legend.contains("\(task) \(kind)"), "no legend entry for the \(kind) curve of \(task): \(legend)")
            }
        }
        XCTAssertEqual(doc.count("circle", inClass: "series"), 2 * 6, "a dot per validation of each task")
        XCTAssertFalse(legend.contains("training (per step)"), "the zig-zag total is not drawn when tasks are known")
    }

    /// Logs written before per-task losses existed keep the total curve.
    func testLogWithoutTasksFallsBackToTheTotal() throws {
        let log = try read(perTaskLog(steps: 60, withTasks: false))
        XCTAssertTrue(log.tasks.isEmpty)
        let doc = try page(log)
        let legend = doc.svgTexts
        for name in ["training (per step)", "training (mean of 25 steps)", "validation"] {
            XCTAssertTrue(legend.contains(name), "missing \(name) in \(legend)")
        }
        XCTAssertEqual(doc.classed("series").count, 3)
    }

    /// The run's arguments sit in a closed `<details>` element with a summary line.
    func testTrainingArgumentsAreFolded() throws {
        let state = "{\"args\":{\"learning_rate\":0.001,\"epochs\":4,\"batch_size\":16},\"global_step\":60}"
        let doc = try page(try read(perTaskLog(steps: 60), trainerState: state))
        let details = doc.elements.indices.filter { doc.elements[$0].name == "details" }
        XCTAssertEqual(details.count, 1)
        let d = details[0]
        XCTAssertNil(doc.elements[d].attributes["open"], "folded by default")
        let summary = doc.elements.first { $0.name == "summary" && $0.ancestors.contains("\(d)") }
        XCTAssertTrue(summary?.text.contains("Training arguments (4 settings") ?? false, summary?.text ?? "no summary")
        let table = doc.elements.first { $0.attributes["id"] == "training-settings" }
        XCTAssertEqual(table?.name, "table")
        XCTAssertTrue(table?.ancestors.contains("\(d)") ?? false, "the settings table is inside the details element")
        XCTAssertTrue(table?.fullText.contains("args.learning_rate") ?? false)
    }
}
