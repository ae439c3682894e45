import C2S
import CellSentences
import Foundation
import Prompts
import SingleCell
import TestSupport
import XCTest

/// The annotation workflow as a library call (what `c2s annotate` wraps): it answers every
/// selected cell exactly as the Annotator does, writes both tables, reports its warnings and
/// progress as events, and resumes an interrupted run.
final class CellAnnotationTests: XCTestCase {
    func settings(_ f: C2SFixture, output: String) throws -> CellAnnotationSettings {
        var input = CellTaskInput(path: f.sentences)
        input.conditions = [(column: "batch", value: "batch1")]
        var s = CellAnnotationSettings(task: "cell_type_prediction", prompt: try TaskPrompt(task: "cell_type_prediction", kind: .singleCell),
                                       input: input, output: output)
        s.options.topGenes = C2SFixture.topGenes
        s.options.batchSize = 4
        s.compareColumn = "cell_type"
        s.chunks.chunkSize = 5
        return s
    }

    func testAnnotatesTheSelectedCellsAsTheAnnotatorDoes() throws {
        let f = try C2SFixture.get()
        let tmp = try TemporaryFolder()
        let model = try C2SModel(folder: f.geneModel)
        var events: [String] = []
        let r = try CellAnnotation.run(model: model, settings: try settings(f, output: tmp.file("a.h5ad"))) { event in
            if case .progress(let phase, _, _) = event, !events.contains(phase) { events.append(phase) }
        }
        // The selected cells, annotated directly.
        let table = try CellTable.load(f.sentences, maxGenes: C2SFixture.topGenes)
        let chosen = table.cells.filter { $0.fields["batch"] == "batch1" }
        XCTAssertGreaterThan(chosen.count, 5)
        XCTAssertLessThan(chosen.count, table.cells.count)
        var o = AnnotationOptions()
        o.labels = try model.requireLabels(task: "cell_type_prediction", given: nil)
        o.topGenes = C2SFixture.topGenes
        let direct = try Annotator(model: model, prompt: try TaskPrompt(task: "cell_type_prediction", kind: .singleCell), options: o).annotate(chosen)

        XCTAssertEqual(r.cells, chosen.count)
        XCTAssertEqual(r.chunksComputed, (chosen.count + 4) / 5)
        XCTAssertEqual(r.chunksReused, 0)
        XCTAssertTrue(events.contains("annotating"), "\(events)")
        let out = try H5ADSource(path: tmp.file("a.h5ad"))
        XCTAssertEqual(out.obs.index, chosen.map(\.name))
        let labels = try XCTUnwrap(out.obs.column("c2s_label")).values
        XCTAssertEqual((0..<labels.count).map { labels.text(at: $0) }, direct.map(\.label))
        XCTAssertEqual(r.labelCounts.map(\.cells).reduce(0, +), chosen.count)
        let correct = zip(chosen, direct).filter { $0.0.fields["cell_type"] == $0.1.label }.count
        XCTAssertEqual(r.compared?.cells, chosen.count)
        XCTAssertEqual(r.compared?.correct, correct)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("a.csv")))
    }

    func testAnInterruptedRunResumesAndGivesTheSameTable() throws {
        let f = try C2SFixture.get()
        let tmp = try TemporaryFolder()
        let model = try C2SModel(folder: f.geneModel)
        _ = try CellAnnotation.run(model: model, settings: try settings(f, output: tmp.file("whole.h5ad")))
        var s = try settings(f, output: tmp.file("cut.h5ad"))
        s.chunks.interruptAfter = 1
        XCTAssertThrowsError(try CellAnnotation.run(model: model, settings: s))
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("cut.h5ad")), "no output before every cell has its answer")
        s.chunks.interruptAfter = nil
        s.chunks.resume = true
        let r = try CellAnnotation.run(model: model, settings: s)
        XCTAssertEqual(r.chunksReused, 1)
        XCTAssertEqual(try String(contentsOfFile: tmp.file("cut.csv"), encoding: .utf8), try String(contentsOfFile: tmp.file("whole.csv"), encoding: .utf8))
    }
}

/// A per-cell workflow never writes over its own input, even with overwrite.
final class CellTaskOutputSafetyTests: XCTestCase {
    func testTheInputIsNeverTheOutput() throws {
        let f = try C2SFixture.get()
        let tmp = try TemporaryFolder()
        let input = tmp.file("cells.h5ad")
        try FileManager.default.copyItem(atPath: f.counts, toPath: input)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let model = try C2SModel(folder: f.geneModel)
        var s = CellAnnotationSettings(task: "cell_type_prediction", prompt: try TaskPrompt(task: "cell_type_prediction", kind: .singleCell),
                                       input: CellTaskInput(path: input), output: input)
        s.csv = tmp.file("a.csv")
        s.chunks.overwrite = true
        XCTAssertThrowsError(try CellAnnotation.run(model: model, settings: s)) { XCTAssertTrue("\($0)".contains("is the input"), "\($0)") }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), before)
    }
}
