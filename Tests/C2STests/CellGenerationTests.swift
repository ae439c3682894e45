import C2S
import Foundation
import SingleCell
import TestSupport
import XCTest

/// The generation workflow as a library call (what `c2s generate-cells` wraps): conditions as
/// the CLI gives them, cells of every condition with valid genes, warnings as events.
final class CellGenerationTests: XCTestCase {
    func testConditionsBecomeLabelledCellsOfKnownGenes() throws {
        let f = try C2SFixture.get()
        let tmp = try TemporaryFolder()
        let model = try C2SModel(folder: f.geneModel)
        let column = model.metadata?.labelColumn ?? "cell_type"
        let parsed = try CellGeneration.conditions(model: model, given: [f.labels[0], "\(column)=\(f.labels[1])", "\(column)=nonesuch"],
                                                   everyLabel: false, modelPath: f.geneModel)
        XCTAssertEqual(parsed.map(\.column), [column, column, column])
        XCTAssertEqual(parsed.map(\.value), [f.labels[0], f.labels[1], "nonesuch"])
        XCTAssertEqual(CellGeneration.task(for: parsed), "cell_type_generation")
        XCTAssertEqual(CellGeneration.task(for: []), "unconditional_generation")
        XCTAssertThrowsError(try CellGeneration.conditions(model: model, given: ["\(column)="], everyLabel: false, modelPath: "m")) {
            XCTAssertTrue("\($0)".contains("the value is empty"), "\($0)")
        }

        var s = CellGenerationSettings(conditions: parsed, count: 2, prompt: try TaskPrompt(task: "cell_type_generation", kind: .singleCell),
                                       output: tmp.file("g.h5ad"))
        s.options.numGenes = 6
        s.options.minGenes = 6
        s.options.batchSize = 4
        var warnings: [String] = []
        let r = try CellGeneration.run(model: model, settings: s) { event in
            if case .warning(let w) = event { warnings.append(w) }
        }
        XCTAssertEqual(r.cells, 6)
        XCTAssertTrue(warnings.contains { $0.contains("never saw 'nonesuch'") }, "\(warnings)")
        XCTAssertEqual(r.summary.sentences, 6)
        XCTAssertEqual(r.summary.validity, 1, "constrained to the vocabulary")
        XCTAssertEqual(r.summary.uniqueness, 1, "each gene once")
        let out = try H5ADSource(path: tmp.file("g.h5ad"))
        let values = try XCTUnwrap(out.obs.column(column)).values
        XCTAssertEqual((0..<6).map { values.text(at: $0) }, [f.labels[0], f.labels[0], f.labels[1], f.labels[1], "nonesuch", "nonesuch"])
    }
}
