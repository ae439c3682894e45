import C2S
import CellSentences
import Foundation
import Prompts
import TestSupport
import XCTest

/// The published checkpoints' prompt format against cell2sentence 1.2.0's own prompt formatter
/// (template 0) on real cells: byte-identical model inputs and responses for every task the
/// profile covers (fixture: scripts/fixtures/make_prompt_profile_fixtures.py).
final class PromptProfileParityTests: XCTestCase {
    struct Case {
        var task: String, topK: Int, cellNames: [String], organism: String, label: String, text: String?
        var modelInput: String, response: String
    }

    static func cases() throws -> [Case] {
        let root = try loadGzipJSON("prompts/cell2sentence_prompts.json.gz") as! [String: Any]
        return (root["cases"] as! [[String: Any]]).map {
            Case(task: $0["task"] as! String, topK: $0["top_k"] as! Int, cellNames: $0["cell_names"] as! [String],
                 organism: $0["organism"] as! String, label: $0["label"] as! String, text: $0["text"] as? String,
                 modelInput: $0["model_input"] as! String, response: $0["response"] as! String)
        }
    }

    /// Kang converted as the reference converts it (c2s reproduces its sentences exactly).
    func convertKang(_ tmp: TemporaryFolder) throws -> String {
        let h5ad = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let out = tmp.file("kang")
        let r = try runProcess(TestPaths.c2sExecutable, ["convert", h5ad, "-o", out, "--target-sum", "10000", "--log-base", "10",
                                                         "--min-genes", "0", "--min-cells", "0", "--tie-order", "reference", "--seed", "42",
                                                         "--obs-columns", "seurat_annotations,stim", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    func firstDifference(_ a: String, _ b: String) -> String {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        let i = (0..<min(x.count, y.count)).first { x[$0] != y[$0] } ?? min(x.count, y.count)
        func around(_ s: [Unicode.Scalar]) -> String { String(String.UnicodeScalarView(s[max(0, i - 20)..<min(s.count, i + 20)])) }
        return "first difference at code point \(i): c2s \(String(reflecting: around(x))) vs reference \(String(reflecting: around(y)))"
    }

    /// `c2s prompts --prompt-format cell2sentence` writes the reference's model_input and response
    /// for the single-cell tasks, at 200 genes and at 1500 (more than some cells have, where the
    /// reference still says "1500 genes").
    func testPromptsCommandWritesTheReferencePromptsByteForByte() throws {
        let tmp = try TemporaryFolder()
        let dataset = try convertKang(tmp)
        let cases = try Self.cases()
        var checked = 0
        for format in ["cell2sentence", "c2s-scale"] {
            for topK in [200, 1500] {
                for task in ["cell_type_prediction", "cell_type_generation"] {
                    let out = tmp.file("\(format)-\(task)-\(topK).jsonl")
                    let r = try runProcess(TestPaths.c2sExecutable, ["prompts", dataset, "-o", out, "--task", task, "--prompt-format", format,
                                                                     "--label-column", "seurat_annotations", "--top-k", String(topK),
                                                                     "--organism", "Homo sapiens", "--overwrite", "--quiet"])
                    XCTAssertEqual(r.status, 0, r.stderr)
                    var byCell: [String: [String: Any]] = [:]
                    for line in try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n") {
                        let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                        byCell[o["cell_name"] as! String] = o
                    }
                    for c in cases where c.task == task && c.topK == topK {
                        guard let line = byCell[c.cellNames[0]] else { XCTFail("no example for \(c.cellNames[0])"); continue }
                        let input = line["model_input"] as! String, response = line["response"] as! String
                        XCTAssertEqual(input, c.modelInput, "\(format) \(task) k \(topK) \(c.cellNames[0]): \(firstDifference(input, c.modelInput))")
                        XCTAssertEqual(response, c.response, "\(format) \(task) k \(topK) \(c.cellNames[0]): \(firstDifference(response, c.response))")
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, 2 * 48)
        // Some fixture cell has fewer than 1500 genes, so "1500 genes" is the requested count.
        let table = try CellTable.load(dataset, maxGenes: 1500)
        let names = Set(cases.flatMap(\.cellNames))
        XCTAssertTrue(table.cells.contains { names.contains($0.name) && $0.geneCount < 1500 })
    }

    /// What inference renders (annotate/embed's single-cell input, generate-cells' input,
    /// predict-tissue's and interpret's multi-cell input) and what constrained annotation
    /// scores, through `TaskPrompt` in the profile, equal the reference's.
    func testInferencePromptsMatchTheReference() throws {
        let tmp = try TemporaryFolder()
        let table = try CellTable.load(try convertKang(tmp), maxGenes: 2000)
        var byName: [String: CellRecord] = [:]
        for c in table.cells { byName[c.name] = c }
        let cases = try Self.cases()
        var checked = Set<String>()
        for c in cases {
            let cells = c.cellNames.map { byName[$0]! }
            let kind: TaskKind = c.task.hasPrefix("cell_type") ? .singleCell : .multiCell
            let prompt = try TaskPrompt(task: c.task, kind: kind, profile: PromptProfiles.cell2sentence)
            let values: (String) -> String?
            switch c.task {
            case "cell_type_prediction":
                values = PromptValues.singleCell(cells[0], topK: c.topK, organism: c.organism, labelColumn: nil, style: prompt.style)
                // Constrained annotation scores the reference's response, with nothing between.
                XCTAssertEqual(try prompt.scoredAnswer(c.label, modelSeparator: " "), c.response)
            case "cell_type_generation":
                values = PromptValues.generation(label: c.label, numGenes: c.topK, organism: c.organism)
            default:
                values = PromptValues.multiCell(cells, topK: c.topK, organism: c.organism, label: c.label, text: c.text, style: prompt.style)
                if c.task == "tissue_prediction" { XCTAssertEqual(try prompt.scoredAnswer(c.label, modelSeparator: " "), c.response) }
                else { XCTAssertEqual(try prompt.style.render(prompt.task.responseTemplate, values), c.response) }
            }
            let input = try prompt.render(values)
            XCTAssertEqual(input, c.modelInput, "\(c.task) k \(c.topK) \(c.cellNames): \(firstDifference(input, c.modelInput))")
            checked.insert(c.task)
        }
        XCTAssertEqual(checked, ["cell_type_prediction", "cell_type_generation", "tissue_prediction", "tissue_generation", "natural_language_interpretation"])
    }
}
