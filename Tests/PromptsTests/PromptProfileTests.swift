import Prompts
import XCTest

final class PromptProfileTests: XCTestCase {
    /// Verbatim rendering is Python's str.format: no period folding, no trimming; c2s's own
    /// rendering folds and trims.
    func testVerbatimRenderingKeepsEveryLiteral() throws {
        let t = try PromptTemplate("{label}.\n")
        XCTAssertEqual(try t.renderVerbatim { _ in "blood." }, "blood..\n")
        XCTAssertEqual(try t.render { _ in "blood." }, "blood.")
        XCTAssertEqual(try PromptTemplate("{{x}} {a}").renderVerbatim { _ in "1" }, "{x} 1")
        XCTAssertThrowsError(try t.renderVerbatim { _ in nil })
    }

    func testReferenceCellBlockAndItsSpans() {
        let s: [Substring] = ["A B", "C"]
        let block = PromptFormat.referenceCellBlock(s)
        XCTAssertEqual(block, "Cell 1:\nA B.\nCell 2:\nC.\n")
        let scalars = Array(block.unicodeScalars)
        let spans = PromptFormat.referenceCellBlockSpans(s)
        XCTAssertEqual(spans.map { String(String.UnicodeScalarView(scalars[$0])) }, ["A B", "C"])
    }

    func testNamedProfilesAndDetectionByCheckpointName() throws {
        XCTAssertEqual(try PromptProfiles.named("C2S-Scale").name, "c2s-scale")
        XCTAssertThrowsError(try PromptProfiles.named("gemma")) { e in
            XCTAssertTrue("\(e)".contains("c2s, cell2sentence, c2s-scale"), "\(e)")
        }
        XCTAssertEqual(PromptProfiles.matching(["vandijklab/C2S-Scale-Gemma-2-27B"])?.name, "c2s-scale")
        XCTAssertEqual(PromptProfiles.matching(["/models/models--vandijklab--C2S-Pythia-410m-cell-type-prediction/snapshots/1"])?.name, "cell2sentence")
        XCTAssertNil(PromptProfiles.matching(["EleutherAI/pythia-410m", "/tmp/my-model"]))
    }

    /// Free answers lose the model's noise and the reference's trailing "."; c2s's keep theirs.
    func testAnswersAreCleanedAsTheProfileSays() {
        XCTAssertEqual(PromptProfiles.c2sScale.cleanAnswer(" CD14+ monocyte.<ctrl100>\n"), "CD14+ monocyte")
        XCTAssertEqual(PromptProfiles.cell2sentence.cleanAnswer(" B cell.<|endoftext|>"), "B cell")
        XCTAssertEqual(PromptProfiles.cell2sentence.cleanAnswer("T cell"), "T cell")
        XCTAssertEqual(PromptProfiles.c2s.cleanAnswer(" NK cell. "), "NK cell.")
    }

    /// A checkpoint's profile has its own (single) wording per task and no perturbation task.
    func testProfilesDefineTheirTasks() {
        for p in [PromptProfiles.cell2sentence, PromptProfiles.c2sScale] {
            XCTAssertEqual(p.tasks.map(\.name), ["cell_type_prediction", "cell_type_generation", "tissue_prediction", "tissue_generation", "natural_language_interpretation"])
            XCTAssertTrue(p.tasks.allSatisfy { $0.inputTemplates.count == 1 })
            XCTAssertNil(p.task(named: "perturbation_prediction"))
            XCTAssertEqual(p.genesWarning(199) != nil, true)
            XCTAssertNil(p.genesWarning(200))
        }
        XCTAssertEqual(PromptProfiles.c2s.tasks.map(\.name), BuiltinTasks.all.map(\.name))
        XCTAssertNil(PromptProfiles.c2s.genesWarning(5))
    }
}
