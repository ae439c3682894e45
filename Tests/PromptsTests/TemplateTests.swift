import Foundation
import XCTest
@testable import Prompts
import SingleCell

final class TemplateTests: XCTestCase {
    // MARK: parsing

    func testParsesPlaceholdersUniqueInOrderOfFirstAppearance() throws {
        let t = try PromptTemplate("{b} and {a}, then {b} again with {cell type}")
        XCTAssertEqual(t.placeholders, ["b", "a", "cell type"])
        XCTAssertEqual(t.text, "{b} and {a}, then {b} again with {cell type}")
        XCTAssertEqual(try PromptTemplate("no slots").placeholders, [])
        XCTAssertEqual(try PromptTemplate("").placeholders, [])
    }

    func testDoubledBracesAreLiteral() throws {
        let t = try PromptTemplate("{{x}} is {x}; }} and {{")
        XCTAssertEqual(t.placeholders, ["x"])
        XCTAssertEqual(try t.render(["x": "1"]), "{x} is 1; } and {")
        XCTAssertEqual(try PromptTemplate("{{{x}}}").render(["x": "v"]), "{v}")
    }

    func testParseErrorsGiveTheColumn() {
        func message(_ text: String) -> String {
            do {
                _ = try PromptTemplate(text)
                return "no error"
            } catch let e as TemplateError {
                return e.message
            } catch {
                return "wrong error \(error)"
            }
        }
        let unclosed = message("abc {name")
        XCTAssertTrue(unclosed.contains("unclosed '{' at column 5"), unclosed)
        let unmatched = message("ab} {x}")
        XCTAssertTrue(unmatched.contains("unmatched '}' at column 3"), unmatched)
        let empty = message("x {} y")
        XCTAssertTrue(empty.contains("empty placeholder '{}' at column 3"), empty)
        let nested = message("{a{b}}")
        XCTAssertTrue(nested.contains("'{' inside the placeholder opened at column 1"), nested)
        let spaced = message("go { x}")
        XCTAssertTrue(spaced.contains("column 4") && spaced.contains("whitespace"), spaced)
        let afterEscape = message("{{ok}} {")
        XCTAssertTrue(afterEscape.contains("column 8"), afterEscape)
        let multiLine = message("first {a}\nsecond }")
        XCTAssertTrue(multiLine.contains("line 2, column 8"), multiLine)
        let brokenByLine = message("a {b\nc}")
        XCTAssertTrue(brokenByLine.contains("not closed before the end of the line"), brokenByLine)
    }

    // MARK: rendering

    func testRenderInsertsValuesForEverySlot() throws {
        let t = try PromptTemplate("{n} genes of a {org} cell: {s}. Again: {n}?")
        var asked: [String] = []
        let out = try t.render { name in
            asked.append(name)
            return ["n": "3", "org": "human", "s": "A B C"][name]
        }
        XCTAssertEqual(out, "3 genes of a human cell: A B C. Again: 3?")
        XCTAssertEqual(asked, ["n", "org", "s", "n"])
        XCTAssertEqual(try PromptTemplate("plain text").render { _ in nil }, "plain text")
    }

    func testRenderMissingValueNamesThePlaceholder() throws {
        let t = try PromptTemplate("{a} then {b}")
        XCTAssertThrowsError(try t.render(["a": "x"])) { error in
            let message = (error as? TemplateError)?.message ?? ""
            XCTAssertTrue(message.contains("{b}"), message)
        }
    }

    func testRenderSkipsDoubledPeriod() throws {
        let t = try PromptTemplate("Abstract: {text}. Next.")
        XCTAssertEqual(try t.render(["text": "It works."]), "Abstract: It works. Next.")
        XCTAssertEqual(try t.render(["text": "It works"]), "Abstract: It works. Next.")
        // Only the template's "." right after the slot is dropped.
        XCTAssertEqual(try PromptTemplate("{x}..").render(["x": "a."]), "a..")
        XCTAssertEqual(try PromptTemplate("{x} .").render(["x": "a."]), "a. .")
        XCTAssertEqual(try PromptTemplate("{x}{y}.").render(["x": "a.", "y": "b."]), "a.b.")
        XCTAssertEqual(try PromptTemplate("{x}").render(["x": "a."]), "a.")
    }

    func testRenderTrimsLeadingAndTrailingWhitespace() throws {
        XCTAssertEqual(try PromptTemplate("  Cells:\n{x}\n ").render(["x": "A"]), "Cells:\nA")
        XCTAssertEqual(try PromptTemplate("{x} is {y}").render(["x": " \n", "y": "z\t"]), "is z")
        XCTAssertEqual(try PromptTemplate("Cell: {x}").render(["x": ""]), "Cell:")
        XCTAssertEqual(try PromptTemplate(" {x} ").render(["x": ""]), "")
    }

    func testCodableUsesTheText() throws {
        let t = try PromptTemplate("Genes: {cell_sentence}?")
        let data = try JSONEncoder().encode([t])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["Genes: {cell_sentence}?"]"#)
        XCTAssertEqual(try JSONDecoder().decode([PromptTemplate].self, from: data), [t])
        XCTAssertThrowsError(try JSONDecoder().decode([PromptTemplate].self, from: Data(#"["bad {"]"#.utf8)))
    }

    // MARK: built-in tasks

    func testBuiltinTaskNamesAndKinds() {
        XCTAssertEqual(BuiltinTasks.all.map(\.name), [
            "cell_type_prediction", "cell_type_generation", "unconditional_generation",
            "tissue_prediction", "tissue_generation", "natural_language_interpretation",
            "perturbation_prediction",
        ])
        XCTAssertEqual(BuiltinTasks.all.map(\.kind),
                       [.singleCell, .singleCell, .singleCell, .multiCell, .multiCell, .multiCell, .perturbation])
        for task in BuiltinTasks.all {
            XCTAssertEqual(BuiltinTasks.named(task.name), task)
            XCTAssertFalse(task.description.isEmpty, task.name)
        }
        XCTAssertNil(BuiltinTasks.named("no_such_task"))
    }

    func testEveryBuiltinTaskHasAtLeast15DistinctInputTemplates() {
        for task in BuiltinTasks.all {
            XCTAssertGreaterThanOrEqual(task.inputTemplates.count, 15, task.name)
            XCTAssertEqual(Set(task.inputTemplates).count, task.inputTemplates.count, "\(task.name) repeats a template")
        }
    }

    func testBuiltinInputTemplatesEndWithColonOrQuestionMark() {
        for task in BuiltinTasks.all {
            for t in task.inputTemplates {
                XCTAssertTrue(t.text.hasSuffix(":") || t.text.hasSuffix("?"), "\(task.name): \(t.text)")
                XCTAssertEqual(t.text, t.text.trimmingCharacters(in: .whitespacesAndNewlines), "\(task.name): \(t.text)")
                XCTAssertFalse(t.text.contains("  "), "\(task.name): double space in \(t.text)")
                XCTAssertFalse(t.text.contains(" \n") || t.text.contains("\n\n"), "\(task.name): \(t.text)")
            }
        }
    }

    func testBuiltinTemplatesValidateAgainstTheirKindsStandardFields() throws {
        for task in BuiltinTasks.all {
            XCTAssertNoThrow(try task.validate(available: Set(TaskDefinition.standardFields(task.kind))), task.name)
        }
    }

    func testBuiltinTemplatesUseTheFieldsTheirTaskNeeds() {
        let expected: [String: (input: Set<String>, response: String)] = [
            "cell_type_prediction": (["cell_sentence", "num_genes", "organism"], "{label}"),
            "cell_type_generation": (["label", "num_genes", "organism"], "{cell_sentence}"),
            "unconditional_generation": (["num_genes", "organism"], "{cell_sentence}"),
            "tissue_prediction": (["cell_sentences", "num_cells", "num_genes", "organism"], "{label}"),
            "tissue_generation": (["label", "num_cells", "num_genes", "organism"], "{cell_sentences}"),
            "natural_language_interpretation": (["cell_sentences", "num_cells", "organism"], "{text}"),
            "perturbation_prediction": (["control_sentence", "perturbation", "label", "num_genes", "organism"], "{perturbed_sentence}"),
        ]
        for task in BuiltinTasks.all {
            guard let want = expected[task.name] else { XCTFail("unexpected task \(task.name)"); continue }
            XCTAssertEqual(task.responseTemplate.text, want.response, task.name)
            for t in task.inputTemplates {
                XCTAssertEqual(Set(t.placeholders), want.input, "\(task.name): \(t.text)")
            }
        }
    }

    func testMultiCellTemplatesPhraseNumGenesAsAnUpperBound() {
        for task in BuiltinTasks.all where task.kind == .multiCell {
            for t in task.inputTemplates where t.placeholders.contains("num_genes") {
                let bounded = ["up to {num_genes}", "at most {num_genes}", "Maximum genes per cell: {num_genes}"]
                    .contains { t.text.contains($0) }
                XCTAssertTrue(bounded, "\(task.name): \(t.text)")
            }
        }
    }

    func testBuiltinTemplatesPutNoArticleBeforeValuesThatMayStartWithAVowel() throws {
        let article = try NSRegularExpression(pattern: #"(^|[\s(])[Aa]n? \{(organism|label|perturbation)\}"#)
        for task in BuiltinTasks.all {
            for t in task.inputTemplates {
                let range = NSRange(t.text.startIndex..., in: t.text)
                XCTAssertNil(article.firstMatch(in: t.text, range: range), "\(task.name): \(t.text)")
            }
        }
        XCTAssertNotNil(article.firstMatch(in: "of a {label}", range: NSRange(location: 0, length: 12)))
    }

    func testBuiltinTemplatesRenderWithSampleValuesWithoutLeftoverBraces() throws {
        let values = [
            "cell_sentence": "MALAT1 RPL13 B2M CD74 HLA-DRA",
            "num_genes": "5",
            "organism": "Homo sapiens",
            "label": "B cell",
            "cell_name": "AAACCTGAGCTAGTGG-1",
            "cell_sentences": "Cell 1: MALAT1 RPL13 B2M\nCell 2: CD74 HLA-DRA",
            "num_cells": "2",
            "text": "We profiled lymph nodes.",
            "control_sentence": "MALAT1 RPL13 B2M CD74 HLA-DRA",
            "perturbed_sentence": "ISG15 IFI6 MALAT1 MX1 IFIT3",
            "perturbation": "IFN-beta stimulation",
        ]
        for task in BuiltinTasks.all {
            for t in task.inputTemplates + [task.responseTemplate] {
                let out = try t.render(values)
                XCTAssertFalse(out.contains("{") || out.contains("}"), "\(task.name): \(out)")
                XCTAssertFalse(out.contains(".."), "\(task.name): \(out)")
                XCTAssertEqual(out, out.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }

    // MARK: validation

    func testValidateNamesTaskTemplatePlaceholderAndSortedFields() throws {
        let task = TaskDefinition(name: "mine", kind: .singleCell, description: "",
                                  inputTemplates: [try PromptTemplate("{cell_sentence}:"), try PromptTemplate("{cel_sentence}?")],
                                  responseTemplate: try PromptTemplate("{label}"))
        XCTAssertThrowsError(try task.validate(available: ["label", "cell_sentence", "donor"])) { error in
            let m = (error as? TemplateError)?.message ?? ""
            XCTAssertTrue(m.contains("task 'mine'"), m)
            XCTAssertTrue(m.contains("input template #2"), m)
            XCTAssertTrue(m.contains("{cel_sentence}"), m)
            XCTAssertTrue(m.contains("did you mean {cell_sentence}?"), m)
            XCTAssertTrue(m.contains("available fields: cell_sentence, donor, label"), m)
        }
        var bad = task
        bad.inputTemplates = [try PromptTemplate("{cell_sentence}:")]
        bad.responseTemplate = try PromptTemplate("{tissue}")
        XCTAssertThrowsError(try bad.validate(available: ["label", "cell_sentence"])) { error in
            let m = (error as? TemplateError)?.message ?? ""
            XCTAssertTrue(m.contains("response template") && m.contains("{tissue}"), m)
        }
        bad.inputTemplates = []
        XCTAssertThrowsError(try bad.validate(available: ["tissue"]))
    }

    // MARK: loading task files

    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("c2s-template-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func write(_ text: String, name: String = "tasks.json") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func available(_ kind: TaskKind) -> Set<String> {
        Set(TaskDefinition.standardFields(kind)).union(["donor"])
    }

    /// The load error's problem for a file holding `text`, checking it names the file.
    private func loadError(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = try write(text)
        do {
            _ = try TaskDefinition.load(path: path, available: available)
            XCTFail("loaded a bad file", file: file, line: line)
            return ""
        } catch let error as FileError {
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix(path), file: file, line: line)
            return error.problem
        }
    }

    func testLoadsOneTaskObject() throws {
        let path = try write(#"""
        {"name": "donor_prediction", "kind": "single_cell", "description": "Which donor?",
         "input_templates": ["Genes of a {organism} cell: {cell_sentence}. Donor?", "{cell_sentence}\nDonor:"],
         "response_template": "{donor}"}
        """#)
        let tasks = try TaskDefinition.load(path: path, available: available)
        XCTAssertEqual(tasks.count, 1)
        XCTAssertEqual(tasks[0].name, "donor_prediction")
        XCTAssertEqual(tasks[0].kind, .singleCell)
        XCTAssertEqual(tasks[0].description, "Which donor?")
        XCTAssertEqual(tasks[0].inputTemplates.map(\.text), ["Genes of a {organism} cell: {cell_sentence}. Donor?", "{cell_sentence}\nDonor:"])
        XCTAssertEqual(tasks[0].responseTemplate.text, "{donor}")
    }

    func testLoadsTaskList() throws {
        let path = try write(#"""
        {"tasks": [
          {"name": "a", "kind": "multi_cell", "input_templates": ["{cell_sentences}\nTissue:"], "response_template": "{label}"},
          {"name": "b.2", "kind": "perturbation", "description": "",
           "input_templates": ["{control_sentence} + {perturbation}:"], "response_template": "{perturbed_sentence}"}
        ]}
        """#)
        let tasks = try TaskDefinition.load(path: path, available: available)
        XCTAssertEqual(tasks.map(\.name), ["a", "b.2"])
        XCTAssertEqual(tasks.map(\.kind), [.multiCell, .perturbation])
        XCTAssertEqual(tasks[0].description, "")
    }

    func testLoadRejectsAMissingFile() {
        let path = directory.appendingPathComponent("absent.json").path
        XCTAssertThrowsError(try TaskDefinition.load(path: path, available: available)) { error in
            XCTAssertEqual((error as? FileError)?.path, path)
        }
        XCTAssertThrowsError(try TaskDefinition.load(path: directory.path, available: available)) { error in
            XCTAssertEqual((error as? FileError)?.path, directory.path)
        }
    }

    func testLoadRejectsTextThatIsNotJSON() throws {
        let m = try loadError("{\"name\": \"x\",\n  \"kind\": single_cell}")
        XCTAssertTrue(m.contains("not valid JSON"), m)
        XCTAssertTrue(m.contains("line 2, column 11"), m)
        XCTAssertTrue(try loadError("").contains("empty"))
        XCTAssertTrue(try loadError("{\"tasks\": [").contains("not valid JSON"))
        XCTAssertTrue(try loadError("[1, 2]").contains("expected a JSON object"))
    }

    func testLoadRejectsMissingAndUnknownKeys() throws {
        let missing = try loadError(#"{"name": "x", "kind": "single_cell", "input_templates": ["{label}:"]}"#)
        XCTAssertTrue(missing.contains("missing key \"response_template\"") && missing.contains("'x'"), missing)
        let noInputs = try loadError(#"{"name": "x", "kind": "single_cell", "response_template": "{label}"}"#)
        XCTAssertTrue(noInputs.contains("missing key \"input_templates\""), noInputs)
        let noName = try loadError(#"{"kind": "single_cell", "input_templates": ["a:"], "response_template": "{label}"}"#)
        XCTAssertTrue(noName.contains("missing key \"name\""), noName)
        let typo = try loadError(#"{"name": "x", "kind": "single_cell", "input_template": ["a:"], "response_template": "{label}"}"#)
        XCTAssertTrue(typo.contains("unknown key \"input_template\""), typo)
        let wrongType = try loadError(#"{"name": "x", "kind": "single_cell", "input_templates": "a:", "response_template": "{label}"}"#)
        XCTAssertTrue(wrongType.contains("must be a list of strings, found a string"), wrongType)
        let numberTemplate = try loadError(#"{"name": "x", "kind": "single_cell", "input_templates": ["a:", 3], "response_template": "{label}"}"#)
        XCTAssertTrue(numberTemplate.contains("input template #2") && numberTemplate.contains("a number"), numberTemplate)
        let badName = try loadError(#"{"name": "two words", "kind": "single_cell", "input_templates": ["a:"], "response_template": "{label}"}"#)
        XCTAssertTrue(badName.contains("two words"), badName)
    }

    func testLoadRejectsAnEmptyTemplateList() throws {
        let m = try loadError(#"{"name": "x", "kind": "single_cell", "input_templates": [], "response_template": "{label}"}"#)
        XCTAssertTrue(m.contains("'x'") && m.contains("\"input_templates\" is an empty list"), m)
        let blank = try loadError(#"{"name": "x", "kind": "single_cell", "input_templates": ["a:"], "response_template": "  "}"#)
        XCTAssertTrue(blank.contains("response template") && blank.contains("empty"), blank)
        XCTAssertTrue(try loadError(#"{"tasks": []}"#).contains("empty list"))
    }

    func testLoadRejectsAWrongKind() throws {
        let m = try loadError(#"{"name": "x", "kind": "single-cell", "input_templates": ["a:"], "response_template": "{label}"}"#)
        XCTAssertTrue(m.contains("kind \"single-cell\" is not one of single_cell, multi_cell, perturbation"), m)
    }

    func testLoadRejectsAnUnknownPlaceholderListingTheAvailableFields() throws {
        let m = try loadError(#"""
        {"tasks": [
          {"name": "ok", "kind": "single_cell", "input_templates": ["{cell_sentence}:"], "response_template": "{label}"},
          {"name": "bad", "kind": "perturbation", "input_templates": ["{control_sentence}:", "{cell_sentence}:"], "response_template": "{perturbed_sentence}"}
        ]}
        """#)
        XCTAssertTrue(m.contains("task 'bad'") && m.contains("input template #2"), m)
        XCTAssertTrue(m.contains("unknown placeholder {cell_sentence}"), m)
        let fields = available(.perturbation).sorted().joined(separator: ", ")
        XCTAssertTrue(m.contains("available fields: \(fields)"), m)
    }

    func testLoadRejectsAMalformedTemplateNamingIt() throws {
        let m = try loadError(#"{"name": "x", "kind": "single_cell", "input_templates": ["ok {label}:", "bad {label:"], "response_template": "{label}"}"#)
        XCTAssertTrue(m.contains("'x'") && m.contains("input template #2") && m.contains("unclosed '{' at column 5"), m)
    }

    func testLoadRejectsDuplicateNames() throws {
        let m = try loadError(#"""
        {"tasks": [
          {"name": "same", "kind": "single_cell", "input_templates": ["{cell_sentence}:"], "response_template": "{label}"},
          {"name": "same", "kind": "single_cell", "input_templates": ["{cell_sentence}?"], "response_template": "{label}"}
        ]}
        """#)
        XCTAssertTrue(m.contains("'same' is used twice (tasks #1 and #2)"), m)
    }

    func testLoadRejectsANameOfABuiltinTask() throws {
        let m = try loadError(#"{"name": "cell_type_prediction", "kind": "single_cell", "input_templates": ["{cell_sentence}:"], "response_template": "{label}"}"#)
        XCTAssertTrue(m.contains("'cell_type_prediction'") && m.contains("built-in"), m)
    }
}
