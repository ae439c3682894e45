import CellSentences
import Foundation
import Prompts
import SingleCell
import TestSupport
import XCTest

/// Every built-in template on real cells (kang-ifnb-sub2k), and the rules every example obeys.
final class PromptBuilderTests: XCTestCase {
    func kang() throws -> CellTable { try KangPrompts.table() }

    func options(_ task: TaskDefinition) -> PromptOptions { KangPrompts.options(task) }

    func build(_ table: CellTable, _ options: PromptOptions, splits: SplitPlan? = nil) throws -> ([PromptExample], PromptSummary) {
        try KangPrompts.build(table, options, splits: splits)
    }

    func testEveryTemplateOfEveryTaskRendersOnKang() throws {
        let table = try kang()
        for task in BuiltinTasks.all {
            for (i, template) in task.inputTemplates.enumerated() {
                var single = task
                single.inputTemplates = [template]
                let (examples, _) = try build(table, options(single))
                XCTAssertFalse(examples.isEmpty, "\(task.name) template \(i) made no example")
                for e in examples.prefix(50) {
                    XCTAssertFalse(e.modelInput.contains("{") || e.response.contains("{"), "\(task.name) #\(i): leftover brace")
                    XCTAssertFalse(e.modelInput.contains(".."), "\(task.name) #\(i): doubled period in \(e.modelInput)")
                    XCTAssertTrue(e.modelInput.hasSuffix(":") || e.modelInput.hasSuffix("?"), "\(task.name) #\(i)")
                    XCTAssertFalse(e.response.isEmpty || e.response.hasPrefix(" "), "\(task.name) #\(i)")
                }
            }
        }
    }

    func testSingleCellExamplesTellTheTruth() throws {
        let table = try kang()
        let (examples, summary) = try build(table, options(BuiltinTasks.named("cell_type_prediction")!))
        XCTAssertEqual(examples.count, table.cells.count)
        XCTAssertEqual(summary.counts["cell_type_prediction"], ["train": 1600, "validation": 200, "test": 200])
        let byName = Dictionary(uniqueKeysWithValues: table.cells.map { ($0.name, $0) })
        for e in examples {
            let cell = byName[e.cellNames[0]]!
            XCTAssertEqual(e.response, cell.fields["seurat_annotations"])
            let (top, n) = cell.topGenes(50)
            XCTAssertTrue(e.modelInput.contains(String(top)))
            XCTAssertTrue(e.modelInput.contains(String(n)), "the true number of genes is stated")
        }
    }

    func testPerturbationPairsStayWithinACellTypeAndASplit() throws {
        let table = try kang()
        let (examples, summary) = try build(table, options(BuiltinTasks.named("perturbation_prediction")!))
        let byName = Dictionary(uniqueKeysWithValues: table.cells.map { ($0.name, $0) })
        let plan = try SplitPlan.make(cells: table.cells, fractions: SplitFractions(train: 0.8, validation: 0.1, test: 0.1),
                                      seed: 1, stratifyBy: "seurat_annotations", groupBy: [])
        XCTAssertGreaterThan(examples.count, 900)
        for e in examples {
            let control = byName[e.cellNames[0]]!, perturbed = byName[e.cellNames[1]]!
            XCTAssertEqual(control.fields["stim"], "CTRL")
            XCTAssertEqual(perturbed.fields["stim"], "STIM")
            XCTAssertEqual(control.fields["seurat_annotations"], perturbed.fields["seurat_annotations"])
            XCTAssertEqual(plan.split(of: control.name), e.split)
            XCTAssertEqual(plan.split(of: perturbed.name), e.split)
            XCTAssertTrue(e.modelInput.contains("interferon-beta stimulation"))
            XCTAssertEqual(e.response, String(perturbed.topGenes(50).text))
        }
        XCTAssertGreaterThan(summary.unmatchedPerturbed, 0, "STIM-only erythrocytes have no control")
    }

    func testPerturbationWithoutACellTypeColumnPairsWithinOneGroup() throws {
        let table = try kang()
        var o = options(BuiltinTasks.named("perturbation_prediction")!)
        o.labelColumn = "cell_type"  // not in kang: the data has no cell type column by that name
        o.matchColumns = []
        // Without a stand-in for {label}, the missing column is an error that names it.
        XCTAssertThrowsError(try PromptBuilder(table: table, splits: KangPrompts.plan(table), options: o).validate()) { error in
            XCTAssertTrue("\(error)".contains("'cell_type'"), "\(error)")
        }
        o.missingLabel = PromptValues.unknownLabel
        let (examples, summary) = try build(table, o)
        let byName = Dictionary(uniqueKeysWithValues: table.cells.map { ($0.name, $0) })
        // One group: every STIM cell finds a control, erythrocytes (STIM only) included.
        XCTAssertEqual(examples.count, table.cells.filter { $0.fields["stim"] == "STIM" }.count)
        XCTAssertEqual(summary.unmatchedPerturbed, 0)
        var crossType = 0
        for e in examples {
            let control = byName[e.cellNames[0]]!, perturbed = byName[e.cellNames[1]]!
            XCTAssertEqual(control.fields["stim"], "CTRL")
            XCTAssertEqual(perturbed.fields["stim"], "STIM")
            XCTAssertTrue(e.modelInput.contains("unknown"), e.modelInput)
            if control.fields["seurat_annotations"] != perturbed.fields["seurat_annotations"] { crossType += 1 }
        }
        XCTAssertGreaterThan(crossType, 0, "pairs are drawn across cell types")
        // The byte path writes the same lines.
        let (bytes, _) = try KangPrompts.lines(table, o)
        XCTAssertEqual(bytes, KangPrompts.encoded(examples))
    }

    func testMultiCellGroupsAreHomogeneousAndFormatted() throws {
        let table = try kang()
        let (examples, _) = try build(table, options(BuiltinTasks.named("tissue_prediction")!))
        let byName = Dictionary(uniqueKeysWithValues: table.cells.map { ($0.name, $0) })
        XCTAssertGreaterThan(examples.count, 300)
        for e in examples {
            XCTAssertTrue((2...3).contains(e.cellNames.count))
            let types = Set(e.cellNames.map { byName[$0]!.fields["seurat_annotations"]! })
            XCTAssertEqual(types.count, 1)
            XCTAssertEqual(e.response, types.first)
            for k in 1...e.cellNames.count { XCTAssertTrue(e.modelInput.contains("Cell \(k): ")) }
        }
    }

    func testMixingProportionsAndDeterminism() throws {
        let table = try kang()
        var o = options(BuiltinTasks.named("cell_type_prediction")!)
        o.tasks = [(BuiltinTasks.named("cell_type_prediction")!, 0.7), (BuiltinTasks.named("cell_type_generation")!, 0.3)]
        o.examples = 4000
        let (a, summary) = try build(table, o)
        XCTAssertEqual(a.count, 4000)
        let share = Double(summary.counts["cell_type_prediction"]!.values.reduce(0, +)) / 4000
        XCTAssertEqual(share, 0.7, accuracy: 0.03)
        let (b, _) = try build(table, o)
        XCTAssertEqual(a, b, "same seed, same examples")
        o.seed = 5
        let (c, _) = try build(table, o)
        XCTAssertNotEqual(a, c)
    }

    /// --balance-labels: the balanced task's examples come evenly from kang's 13 cell types
    /// (CD14 Mono is 32 % of the cells, the smallest types a few), every example still
    /// names its own cell's type, the other task keeps its natural mix, and the draw is
    /// deterministic. Without weights, or on a task without labels, it is refused.
    func testBalancedTasksDrawEvenlyOverLabels() throws {
        let table = try kang()
        let prediction = BuiltinTasks.named("cell_type_prediction")!, generation = BuiltinTasks.named("cell_type_generation")!
        var o = options(prediction)
        o.tasks = [(prediction, 0.5), (generation, 0.5)]
        o.examples = 5200
        o.balancedTasks = ["cell_type_generation"]
        let (a, _) = try build(table, o)
        let typeOf = Dictionary(uniqueKeysWithValues: table.cells.map { ($0.name, $0.fields["seurat_annotations"] ?? "") })
        var generated: [String: Int] = [:], predicted: [String: Int] = [:]
        for e in a {
            let type = typeOf[e.cellNames[0]]!
            if e.task == "cell_type_generation" {
                generated[type, default: 0] += 1
                XCTAssertTrue(e.modelInput.contains(type), "a balanced example still names its cell's type")
            } else {
                predicted[type, default: 0] += 1
            }
        }
        XCTAssertEqual(generated.count, 13)
        let counts = generated.values.sorted()
        XCTAssertLessThanOrEqual(counts.last! - counts.first!, 1, "round-robin over labels: \(generated)")
        let mono = Double(predicted["CD14 Mono"] ?? 0) / Double(predicted.values.reduce(0, +))
        XCTAssertGreaterThan(mono, 0.25, "the unbalanced task keeps the natural mix")
        XCTAssertEqual(try build(table, o).0, a, "same seed, same examples")
        var unweighted = options(generation)
        unweighted.balancedTasks = ["cell_type_generation"]
        XCTAssertThrowsError(try build(table, unweighted)) { XCTAssertTrue("\($0)".contains("weights"), "\($0)") }
        var unknown = o
        unknown.balancedTasks = ["tissue_prediction"]
        XCTAssertThrowsError(try build(table, unknown)) { XCTAssertTrue("\($0)".contains("not among the tasks"), "\($0)") }
        var unlabelled = o
        unlabelled.tasks = [(prediction, 0.5), (BuiltinTasks.named("unconditional_generation")!, 0.5)]
        unlabelled.balancedTasks = ["unconditional_generation"]
        XCTAssertThrowsError(try build(table, unlabelled)) { XCTAssertTrue("\($0)".contains("label"), "\($0)") }
    }

    /// --examples-per-cell: the count follows the dataset (2 per cell of kang's 2,000 cells:
    /// 4,000), and with weights 2:1:1 the first task's seeded cycle reaches nearly every cell
    /// once; refused together with --examples, without weights, or when not positive.
    func testExamplesPerCellFollowTheDatasetAndCoverItsCells() throws {
        let table = try kang()
        let prediction = BuiltinTasks.named("cell_type_prediction")!, generation = BuiltinTasks.named("cell_type_generation")!
        var o = options(prediction)
        o.tasks = [(prediction, 2), (generation, 1), (BuiltinTasks.named("unconditional_generation")!, 1)]
        o.examplesPerCell = 2
        let (a, _) = try build(table, o)
        XCTAssertEqual(a.count, 2 * table.cells.count)
        let predicted = a.filter { $0.task == "cell_type_prediction" }
        let distinct = Set(predicted.map { $0.cellNames[0] })
        // The task's share is binomial around one per cell; below it, every draw is a new cell.
        XCTAssertEqual(distinct.count, min(predicted.count, table.cells.count))
        XCTAssertGreaterThan(Double(distinct.count) / Double(table.cells.count), 0.95)
        var half = o
        half.examplesPerCell = 0.25
        XCTAssertEqual(try build(table, half).0.count, table.cells.count / 4)
        var both = o
        both.examples = 100
        XCTAssertThrowsError(try build(table, both)) { XCTAssertTrue("\($0)".contains("not both"), "\($0)") }
        var unweighted = options(prediction)
        unweighted.examplesPerCell = 2
        XCTAssertThrowsError(try build(table, unweighted)) { XCTAssertTrue("\($0)".contains("weights"), "\($0)") }
        var zero = o
        zero.examplesPerCell = 0
        XCTAssertThrowsError(try build(table, zero)) { XCTAssertTrue("\($0)".contains("positive"), "\($0)") }
        var huge = o
        huge.examplesPerCell = 1e300
        XCTAssertThrowsError(try build(table, huge)) { XCTAssertTrue("\($0)".contains("at most"), "\($0)") }
    }

    func testMissingColumnsAreClearErrors() throws {
        let table = try kang()
        var o = options(BuiltinTasks.named("cell_type_prediction")!)
        o.labelColumn = "celltype"
        XCTAssertThrowsError(try build(table, o)) { error in
            XCTAssertTrue("\(error)".contains("'celltype'") && "\(error)".contains("seurat_annotations"), "\(error)")
        }
    }
}

/// kang-ifnb-sub2k as a cell table (top 50 genes kept), with prompt options that make every
/// built-in task render; shared by the prompt tests.
enum KangPrompts {
    nonisolated(unsafe) static var cached: CellTable?

    static func table() throws -> CellTable {
        if let t = cached { return t }
        let path = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let tmp = try TemporaryFolder()
        var options = ConversionOptions()
        options.obsColumns = ["seurat_annotations", "stim"]
        options.fit = nil
        _ = try CellSentenceConverter.convert(try H5ADSource(path: path), to: tmp.file("kang"), options: options)
        let table = try CellTable.load(tmp.file("kang"), maxGenes: 50)
        cached = table
        return table
    }

    static func options(_ task: TaskDefinition, cells: [CellRecord]? = nil) -> PromptOptions {
        var o = PromptOptions()
        o.tasks = [(task, nil)]
        o.topK = 50
        o.labelColumn = "seurat_annotations"
        o.groupColumns = ["seurat_annotations", "stim"]
        o.groupSizes = 2...3
        var seen = Set<String>()
        for cell in try! cells ?? table().cells {
            let key = "\(cell.fields["seurat_annotations"] ?? "NA")|\(cell.fields["stim"] ?? "NA")"
            if seen.insert(key).inserted { o.texts[key] = "PBMCs of one donor, \(cell.fields["stim"] ?? "NA") condition." }
        }
        o.perturbationColumn = "stim"
        o.controlValue = "CTRL"
        o.matchColumns = ["seurat_annotations"]
        o.perturbationName = "interferon-beta stimulation"
        return o
    }

    static func plan(_ table: CellTable) throws -> SplitPlan {
        try SplitPlan.make(cells: table.cells, fractions: SplitFractions(train: 0.8, validation: 0.1, test: 0.1),
                           seed: 1, stratifyBy: "seurat_annotations", groupBy: [])
    }

    /// Examples through the String path (`build`).
    static func build(_ table: CellTable, _ options: PromptOptions, splits: SplitPlan? = nil) throws -> ([PromptExample], PromptSummary) {
        var all: [PromptExample] = []
        let summary = try PromptBuilder(table: table, splits: splits ?? plan(table), options: options).build { all += $0 }
        return (all, summary)
    }

    /// The JSONL bytes of the byte path (`buildLines`).
    static func lines(_ table: CellTable, _ options: PromptOptions, splits: SplitPlan? = nil) throws -> ([UInt8], PromptSummary) {
        var bytes: [UInt8] = []
        let summary = try PromptBuilder(table: table, splits: splits ?? plan(table), options: options).buildLines { bytes += $0 }
        return (bytes, summary)
    }

    /// What `PromptWriter` writes for `examples`.
    static func encoded(_ examples: [PromptExample]) -> [UInt8] {
        var bytes: [UInt8] = []
        for e in examples { PromptWriter.append(e, to: &bytes) }
        return bytes
    }
}
