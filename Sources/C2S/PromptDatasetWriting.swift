import CellSentences
import Foundation
import Mechanics
import Prompts
import SingleCell

/// What a prompt dataset is made of: the sentence dataset, the tasks and their mix, how cells
/// are shown and grouped or paired, and the splits.
public struct PromptDatasetSettings: Sendable {
    /// A sentence dataset folder (or its `cells.jsonl`).
    public var dataset: String
    /// The JSONL file to write; `splits.json` goes beside it unless `splits` is reused.
    public var output: String
    /// Task names (built-in or from `taskFile`), each with an optional weight: with weights,
    /// `examples` examples are drawn, each from a task chosen with those weights.
    public var tasks: [(name: String, weight: Double?)]
    public var taskFile: String?
    /// Whose prompts: c2s's own, or a published checkpoint's (`PromptProfiles`).
    public var profile = PromptProfiles.c2s
    /// Only the first N input templates of each task.
    public var templates: Int?
    public var examples: Int?
    /// Instead of `examples`: examples per cell of the dataset (`PromptOptions.examplesPerCell`).
    public var examplesPerCell: Double?
    /// Tasks whose weighted draws are spread evenly over labels (`PromptOptions.balancedTasks`).
    public var balancedTasks: Set<String> = []
    /// Noise on the gene order of training inputs (`PromptOptions.rankNoise`).
    public var rankNoise = RankNoise.none
    /// Genes of each cell shown in prompts.
    public var topK = 200
    /// The organism named in prompts (default: the dataset's, else Homo sapiens).
    public var organism: String?
    /// The label column (default `cell_type`).
    public var labelColumn: String?
    public var groupColumns: [String] = []
    public var groupLabelColumn: String?
    public var groupSizes: ClosedRange<Int> = 3...5
    public var textColumn: String?
    /// A JSON object mapping group keys to texts.
    public var textFile: String?
    public var perturbationColumn = "stim"
    public var controlValue = "CTRL"
    /// Columns a control must share with its perturbed cell; nil: the label column when the
    /// dataset has it; empty: none.
    public var matchColumns: [String]?
    public var perturbationName: String?
    public var splitFractions: SplitFractions
    public var stratifyBy: String?
    public var groupBy: [String] = []
    /// Reuse this `splits.json` instead of making new splits.
    public var splits: String?
    public var seed: UInt64 = 0
    public var threads = Parallel.defaultThreads
    public var overwrite = false

    public init(dataset: String, output: String, tasks: [(name: String, weight: Double?)]) throws {
        self.dataset = dataset
        self.output = output
        self.tasks = tasks
        splitFractions = try SplitFractions(train: 0.8, validation: 0.1, test: 0.1)
    }
}

/// What was written, and how long each stage took.
public struct PromptDatasetResult: Sendable {
    public var summary: PromptSummary
    /// Cells of the dataset.
    public var cells: Int
    /// The splits used: the reused file, or the `splits.json` written beside the output.
    public var splitsPath: String
    /// The match columns perturbation pairs used.
    public var matchColumns: [String]
    /// Facts the user should know about how the prompts were made (no organism recorded, no
    /// cell type column, perturbation pairs across cell types).
    public var notes: [String]
    public var seconds: Double
    public var loadSeconds: Double
    public var splitSeconds: Double
    /// CPU time of formatting (all threads), and wall time of writing.
    public var formatCPUSeconds: Double
    public var writeSeconds: Double
}

/// Building a prompt dataset (model_input, response per line) from a sentence dataset: the
/// workflow behind `c2s prompts`. Splits are made once (or reused) and saved beside the output;
/// the output appears only when complete.
public enum PromptDatasetWriting {
    public static func run(_ s: PromptDatasetSettings) throws -> PromptDatasetResult {
        let started = Date()
        // With rank noise, genes below the first k can move into them: load those too.
        let table = try CellTable.load(s.dataset, maxGenes: s.rankNoise.depth(showing: s.topK), threads: s.threads)
        let loaded = Date()
        var splitSeconds = 0.0
        let (options, notes) = try promptOptions(s, table: table)

        // Splits: reuse, or make and save beside the output.
        let plan: SplitPlan
        var splitOfCell: [Int]?
        let splitsPath = URL(fileURLWithPath: s.output).deletingLastPathComponent().appendingPathComponent("splits.json").path
        if let splits = s.splits {
            plan = try SplitPlan.read(path: splits)
            try plan.check(covers: table.cells, path: splits)
        } else {
            let t = Date()
            (plan, splitOfCell) = try SplitPlan.assign(cells: table.cells, fractions: s.splitFractions, seed: s.seed,
                                                       stratifyBy: s.stratifyBy, groupBy: s.groupBy)
            splitSeconds += Date().timeIntervalSince(t)
        }
        if s.splits == nil && FileManager.default.fileExists(atPath: splitsPath) && !s.overwrite {
            throw FileError(splitsPath, "already exists; pass --splits \(splitsPath) to reuse these splits, or --overwrite to replace them")
        }
        let builder = PromptBuilder(table: table, splits: plan, options: options, splitOfCell: splitOfCell)
        // Before the output is claimed; the message names the dataset the columns are missing from.
        do { try builder.validate() } catch let e as DataError { throw DataError("\(s.dataset): \(e.message)") }
        let out = try AtomicOutput(s.output, folder: false, overwrite: s.overwrite)
        let writer = try PromptWriter(path: out.temporary, displayPath: s.output)
        var writing = 0.0, writingCPU = 0.0
        let formatCPUStart = ProcessCPU.seconds()
        let summary = try builder.buildLines { lines in
            let t = Date(), cpu = ProcessCPU.seconds()
            try writer.write(lines: lines)
            writing += Date().timeIntervalSince(t)
            writingCPU += ProcessCPU.seconds() - cpu
        }
        let formatCPU = ProcessCPU.seconds() - formatCPUStart - writingCPU
        try writer.close()
        if s.splits == nil {
            let t = Date()
            try plan.write(to: splitsPath)
            splitSeconds += Date().timeIntervalSince(t)
        }
        try out.commit()
        return PromptDatasetResult(summary: summary, cells: table.cells.count, splitsPath: s.splits ?? splitsPath,
                                   matchColumns: options.matchColumns, notes: notes,
                                   seconds: Date().timeIntervalSince(started), loadSeconds: loaded.timeIntervalSince(started),
                                   splitSeconds: splitSeconds, formatCPUSeconds: formatCPU, writeSeconds: writing)
    }

    /// How `s` asks for the prompts of `table` (the cells of `s.dataset`): the tasks (built-in,
    /// the profile's, or from `s.taskFile`), their mix, the columns, the organism (`s.organism`,
    /// else the dataset's, else Homo sapiens) and the seed, with the notes the user should read
    /// about them. Shared by `c2s prompts` and `c2s corpus`, which asks it once per source.
    public static func promptOptions(_ s: PromptDatasetSettings, table: CellTable) throws -> (options: PromptOptions, notes: [String]) {
        var options = PromptOptions()
        var user: [TaskDefinition] = []
        if let taskFile = s.taskFile {
            let fields = Set(table.fieldNames)
            user = try TaskDefinition.load(path: taskFile, available: { kind in
                Set(TaskDefinition.standardFields(kind)).union(kind == .multiCell ? [] : fields)
            })
        }
        for (name, weight) in s.tasks {
            let task = try s.profile.task(name, userTasks: user)
            options.tasks.append((s.templates.map { task.keepingTemplates($0) } ?? task, weight))
        }
        options.examples = s.examples
        options.examplesPerCell = s.examplesPerCell
        options.balancedTasks = s.balancedTasks
        options.rankNoise = s.rankNoise
        options.topK = s.topK
        options.style = s.profile.style
        options.promptFormat = s.profile.name == PromptProfiles.c2s.name ? nil : s.profile.name
        let dataOrganism = try datasetOrganism(s.dataset)
        options.organism = s.organism ?? dataOrganism ?? "Homo sapiens"
        options.labelColumn = s.labelColumn ?? "cell_type"
        var notes: [String] = []
        if let warning = s.profile.genesWarning(s.topK) { notes.append(warning) }
        if s.organism == nil && dataOrganism == nil {
            notes.append("the dataset names no organism (convert records it); prompts say Homo sapiens (use --organism)")
        }
        options.groupColumns = s.groupColumns
        options.groupLabelColumn = s.groupLabelColumn
        options.groupSizes = s.groupSizes
        options.textColumn = s.textColumn
        if let textFile = s.textFile {
            guard let data = FileManager.default.contents(atPath: textFile),
                  let texts = try? JSONSerialization.jsonObject(with: data) as? [String: String] else {
                throw FileError(textFile, "not a JSON object mapping group keys to texts")
            }
            options.texts = texts
        }
        options.perturbationColumn = s.perturbationColumn
        options.controlValue = s.controlValue
        let hasLabel = table.fieldNames.contains(options.labelColumn)
        let perturbation = options.tasks.contains { $0.task.kind == .perturbation }
        options.matchColumns = s.matchColumns ?? (hasLabel ? [options.labelColumn] : [])
        if perturbation && s.labelColumn == nil && !hasLabel {
            // Only when no column was asked for: a named but absent column stays an error.
            options.missingLabel = PromptValues.unknownLabel
            notes.append("no cell type column ('\(options.labelColumn)' is not in the dataset): prompts say the cell type is '\(PromptValues.unknownLabel)'")
        }
        if perturbation && options.matchColumns.isEmpty {
            notes.append("perturbation pairs: all cells form one group (no match columns), so a perturbed cell's control may be of any cell type")
        }
        options.perturbationName = s.perturbationName
        options.seed = s.seed
        options.threads = s.threads
        return (options, notes)
    }

    /// The organism recorded in the manifest of the dataset folder (or of the folder holding
    /// the given cells.jsonl); nil when there is no manifest or it names none.
    public static func datasetOrganism(_ dataset: String) throws -> String? {
        var isDir: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: dataset, isDirectory: &isDir) && isDir.boolValue
            ? dataset : (dataset as NSString).deletingLastPathComponent
        let folderPath = folder.isEmpty ? "." : folder
        guard FileManager.default.fileExists(atPath: folderPath + "/manifest.json") else { return nil }
        return try DatasetManifest.read(folder: folderPath).organism
    }
}
