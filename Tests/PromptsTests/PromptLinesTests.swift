import CellSentences
import Foundation
import Prompts
import SingleCell
import XCTest

/// The byte path (`buildLines`) against the String path (`build` + `PromptWriter`), and the
/// sentence spans of every output line.
final class PromptLinesTests: XCTestCase {
    /// One decoded output line.
    struct Line: Decodable {
        var task: String
        var split: String
        var cell_name: String?
        var cell_names: [String]?
        var model_input: String
        var response: String
        var input_sentence_spans: [[Int]]

        var cells: [String] { cell_names ?? [cell_name!] }
    }

    func decode(_ bytes: [UInt8]) throws -> [Line] {
        try bytes.split(separator: 10).map { try JSONDecoder().decode(Line.self, from: Data($0)) }
    }

    func testLinesEqualStringRenderingForEveryTemplateOfEveryTask() throws {
        let table = try KangPrompts.table()
        for task in BuiltinTasks.all {
            for (i, template) in task.inputTemplates.enumerated() {
                var single = task
                single.inputTemplates = [template]
                let options = KangPrompts.options(single)
                let (examples, _) = try KangPrompts.build(table, options)
                let (bytes, summary) = try KangPrompts.lines(table, options)
                XCTAssertFalse(examples.isEmpty)
                XCTAssertEqual(bytes, KangPrompts.encoded(examples), "\(task.name) template \(i + 1)")
                // Plain data never needs the String path: the bytes above came from the byte path.
                XCTAssertEqual(summary.stringFallbacks, 0, "\(task.name) template \(i + 1)")
            }
        }
    }

    func testLinesAreTheSameForAnyNumberOfThreads() throws {
        let table = try KangPrompts.table()
        for task in BuiltinTasks.all {
            var options = KangPrompts.options(task)
            options.threads = 1
            let (one, _) = try KangPrompts.lines(table, options)
            options.threads = 3
            let (three, _) = try KangPrompts.lines(table, options)
            XCTAssertFalse(one.isEmpty)
            XCTAssertEqual(one, three, task.name)
        }
        // A mixture drawn with weights, more examples than one chunk of lines.
        var options = KangPrompts.options(BuiltinTasks.named("cell_type_prediction")!)
        options.tasks = [(BuiltinTasks.named("cell_type_prediction")!, 0.5), (BuiltinTasks.named("perturbation_prediction")!, 0.3),
                         (BuiltinTasks.named("tissue_prediction")!, 0.2)]
        options.examples = 9000
        options.threads = 1
        let (one, _) = try KangPrompts.lines(table, options)
        options.threads = 2
        let (two, _) = try KangPrompts.lines(table, options)
        XCTAssertEqual(one, two)
        XCTAssertEqual(one.filter { $0 == 10 }.count, 9000)
        let (examples, _) = try KangPrompts.build(table, options)
        XCTAssertEqual(one, KangPrompts.encoded(examples))
    }

    // MARK: - Odd characters

    /// kang cells with labels, names and sentences full of characters JSON must escape, non-ASCII
    /// text, whitespace at the ends and labels ending in a period; some cells lack a label.
    func oddTable() throws -> CellTable {
        let labels = ["CD14 \"Mono\"", "B\\cell", "T\tcell", "NK\ncell", "ctrl\u{01}x", "Zelltyp ü", "🧬 DC",
                      "e\u{301}rythro", "pDC ", " Mk", "Mono.", "", "Ünïcode", "x\u{7F}y", "\u{2028}sep"]
        let cells = try KangPrompts.table().cells.enumerated().map { i, c -> CellRecord in
            var fields = c.fields
            fields["seurat_annotations"] = labels[i % labels.count]
            if i % 97 == 0 { fields["seurat_annotations"] = nil }
            let sentence = i % 5 == 0 ? "GÉNE-Ä A\"B C\\D \(c.sentence)" : i % 7 == 0 ? "\(c.sentence) ÜBER.GEN" : c.sentence
            let name = i % 11 == 0 ? "\(c.name)-ñ\"q\"" : c.name
            return CellRecord(name: name, sentence: sentence, fields: fields)
        }
        return CellTable(cells: cells)
    }

    /// Tasks of every kind whose templates have quotes, backslashes, tabs, line breaks, non-ASCII
    /// text, literal braces, whitespace at the ends and periods after values.
    func oddTasks() throws -> [TaskDefinition] {
        func task(_ name: String, _ kind: TaskKind, _ inputs: [String], _ response: String) throws -> TaskDefinition {
            TaskDefinition(name: name, kind: kind, description: "odd", inputTemplates: try inputs.map(PromptTemplate.init),
                           responseTemplate: try PromptTemplate(response))
        }
        return [
            try task("odd_single", .singleCell, [
                "  Zelle «{organism}» \"{cell_name}\" \\ {num_genes}:\t{cell_sentence}. {label}.\n",
                "Gène ✓ {cell_sentence}. Typ {label}? {{not a slot}} {stim}",
                "{label}. Then {cell_sentence}.",
                "{cell_sentence}",
                "Twice: {cell_sentence} / {cell_sentence}?",
            ], "«{label}»"),
            try task("odd_label", .singleCell, ["Type of {cell_name}?"], "{label}"),
            try task("odd_generation", .singleCell, ["Génère {num_genes} gènes: {label}."], " {cell_sentence} "),
            try task("odd_group", .multiCell, ["Grüße\n{cell_sentences}\n{text} ({label}) {num_cells}×{num_genes}:"], "{label}."),
            try task("odd_perturbation", .perturbation, ["Ctrl «{control_sentence}» + {perturbation} → {label} {stim}?"],
                     "{perturbed_sentence}"),
        ]
    }

    func testOddCharactersGiveTheSameBytesAsTheStringPath() throws {
        let table = try oddTable()
        let plan = try KangPrompts.plan(table)
        var fallbacks = 0, total = 0
        for task in try oddTasks() + BuiltinTasks.all {
            var options = KangPrompts.options(task, cells: table.cells)
            options.organism = "Homo sapiens «ü»"
            options.perturbationName = "IFN-β \"stim\""
            let (examples, _) = try KangPrompts.build(table, options, splits: plan)
            let (bytes, summary) = try KangPrompts.lines(table, options, splits: plan)
            XCTAssertFalse(examples.isEmpty, task.name)
            XCTAssertEqual(bytes, KangPrompts.encoded(examples), task.name)
            XCTAssertNoThrow(try decode(bytes), task.name)
            fallbacks += summary.stringFallbacks
            total += examples.count
        }
        // Labels with whitespace or non-ASCII text at an end go through the String path; the rest
        // (most examples) through the byte path, which must agree with it byte for byte.
        XCTAssertGreaterThan(fallbacks, 0)
        XCTAssertLessThan(fallbacks, total / 2)
    }

    // MARK: - Sentence spans

    /// Checks every line's spans against the sentences its input shows: Python's
    /// `model_input[start:end]` (code points) must be each sentence, in order.
    func checkSpans(_ table: CellTable, _ options: PromptOptions, splits: SplitPlan? = nil) throws -> (lines: Int, nonASCIIBefore: Int) {
        let task = options.tasks[0].task
        let sentenceSlots: Set<String> = ["cell_sentence", "cell_sentences", "control_sentence", "perturbed_sentence"]
        let (bytes, _) = try KangPrompts.lines(table, options, splits: splits)
        let byName = Dictionary(table.cells.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var nonASCIIBefore = 0
        let lines = try decode(bytes)
        for line in lines {
            let input = Array(line.model_input.unicodeScalars)
            let shown = line.input_sentence_spans.map { span -> String in
                guard span.count == 2, 0 <= span[0], span[0] <= span[1], span[1] <= input.count else {
                    XCTFail("\(task.name): span \(span) outside an input of \(input.count) code points")
                    return ""
                }
                var s = String.UnicodeScalarView()
                s.append(contentsOf: input[span[0]..<span[1]])
                if input[..<span[0]].contains(where: { !$0.isASCII }) { nonASCIIBefore += 1 }
                return String(s)
            }
            let cells = line.cells.map { byName[$0]! }
            let top = { (c: CellRecord) in String(c.topGenes(options.topK).text) }
            // Which sentences the input shows depends on the template; check against each.
            let candidates = task.inputTemplates.map { template -> [String] in
                var expected: [String] = []
                for name in templateSlots(template) where sentenceSlots.contains(name) {
                    switch name {
                    case "cell_sentences": expected += cells.map(top)
                    case "perturbed_sentence": expected.append(top(cells[1]))
                    default: expected.append(top(cells[0]))
                    }
                }
                return expected
            }
            XCTAssertTrue(candidates.contains(shown), "\(task.name): spans \(line.input_sentence_spans) show \(shown.map { $0.prefix(40) })")
            if task.inputTemplates.allSatisfy({ $0.placeholders.allSatisfy { !sentenceSlots.contains($0) } }) {
                XCTAssertEqual(line.input_sentence_spans, [], "\(task.name): no sentence in the input, no span")
            }
        }
        return (lines.count, nonASCIIBefore)
    }

    /// The placeholder of every slot of `template`, in order (a name used twice comes twice).
    func templateSlots(_ template: PromptTemplate) -> [String] {
        var names: [String] = []
        _ = try? template.render({ name in names.append(name); return "" }, marking: { _, _ in [] })
        return names
    }

    func testSpansGiveEachSentenceOfTheInputOnKang() throws {
        let table = try KangPrompts.table()
        for task in BuiltinTasks.all {
            let (lines, _) = try checkSpans(table, KangPrompts.options(task))
            XCTAssertGreaterThan(lines, 100, task.name)
        }
        // Generation tasks show no sentence; the others show one per cell of their input.
        let (bytes, _) = try KangPrompts.lines(table, KangPrompts.options(BuiltinTasks.named("tissue_prediction")!))
        let groups = try decode(bytes)
        XCTAssertTrue(groups.allSatisfy { $0.input_sentence_spans.count == $0.cells.count })
        let (generation, _) = try KangPrompts.lines(table, KangPrompts.options(BuiltinTasks.named("cell_type_generation")!))
        XCTAssertTrue(try decode(generation).allSatisfy { $0.input_sentence_spans.isEmpty })
    }

    func testSpansCountCodePointsNotBytes() throws {
        let table = try oddTable()
        let plan = try KangPrompts.plan(table)
        var nonASCII = 0
        for task in try oddTasks() + BuiltinTasks.all {
            var options = KangPrompts.options(task, cells: table.cells)
            options.organism = "Homo sapiens «ü»"
            nonASCII += try checkSpans(table, options, splits: plan).nonASCIIBefore
        }
        // Spans after non-ASCII text: byte offsets would have pointed elsewhere.
        XCTAssertGreaterThan(nonASCII, 100)
    }
}
