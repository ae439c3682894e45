import CellSentences
import Foundation
import Mechanics
import Prompts
import SingleCell

/// What a corpus is made of: its sources, the prompts asked of every source, how many
/// examples each contributes, and how the cells are split.
public struct CorpusSettings: Sendable {
    public var sources: [CorpusSource]
    /// The corpus folder to write: `prompts.jsonl`, `splits.json`, `vocab.tsv`, `genes.tsv`,
    /// `manifest.json`.
    public var output: String
    /// The prompts every source is built with, as `c2s prompts` takes them (tasks and their
    /// weights, task file, format, templates, top k, organism, label/group/text/perturbation
    /// columns, seed, threads). Its `dataset`, `output`, `examples` and split settings are
    /// ignored: the corpus sets them per source.
    public var prompts: PromptDatasetSettings
    /// The label column of a source by name, where it differs from `prompts.labelColumn`
    /// (datasets name their cell types differently: `cell_type`, `seurat_annotations`, ...).
    public var labelColumns: [String: String] = [:]
    /// Weight of each source by name (absent: 1); see `CorpusExampleAllocation`.
    public var weights: [String: Double] = [:]
    /// Examples in all, shared among the sources (nil: weight × cells each).
    public var examples: Int?
    public var splitFractions: SplitFractions
    /// Obs columns grouping cells within a dataset (empty: whole datasets are the groups).
    public var groupBy: [String] = []
    public var stratifyBy: String?
    /// Reuse this corpus `splits.json` instead of making new splits.
    public var splits: String?
    /// Keep gene spellings that differ only in case as different genes (`CorpusVocabulary`).
    public var keepCase = false
    public var overwrite = false

    public init(sources: [CorpusSource], output: String, prompts: PromptDatasetSettings) throws {
        self.sources = sources
        self.output = output
        self.prompts = prompts
        splitFractions = try SplitFractions(train: 0.8, validation: 0.1, test: 0.1)
    }
}

/// What a corpus build wrote.
public struct CorpusResult: Sendable {
    public var manifest: CorpusManifest
    /// Facts the user should know, each naming its source where it has one.
    public var notes: [String]
    public var seconds: Double
    /// Examples written.
    public var total: Int { manifest.examples.values.reduce(0, +) }
}

/// Building one prompt dataset from many sentence datasets: the workflow behind `c2s corpus`.
///
/// Two passes over the sources, each holding one source's cells at a time, keep memory to that
/// of the largest source: the first checks every source (its files, the columns the tasks and
/// the splits need, its vocabulary) and counts its cells per split group and label, from which
/// the cells of all sources are split together (`CorpusSplits.Pass`); only then is the output
/// claimed, and the second builds each source's prompts (`PromptBuilder`, as `c2s prompts`
/// does) into a part file, the parts then interleaved into one `prompts.jsonl`
/// (`CorpusInterleaving`), and writes its cells' lines of `splits.json`. Everything is written
/// in a temporary folder renamed into place at the end, so a failure leaves nothing behind.
public enum CorpusBuilding {
    /// File names inside the corpus folder.
    public static let promptsFile = "prompts.jsonl", splitsFile = "splits.json", vocabularyFile = "vocab.tsv"
    public static let genesFile = "genes.tsv", manifestFile = "manifest.json"

    /// What the first pass learned about a source.
    struct Checked {
        var source: CorpusSource
        var cells: Int
        var organism: String
        var labelColumn: String
        var checksum: String
        var checksumFiles: [String]
        var notes: [String]
    }

    public static func run(_ s: CorpusSettings, progress: (String) -> Void = { _ in }) throws -> CorpusResult {
        let started = Date()
        guard !s.sources.isEmpty else { throw DataError("a corpus needs at least one sentence dataset") }
        try CorpusSource.checkUnique(s.sources)
        let names = s.sources.map(\.name)
        for (option, named) in [("--weight", Array(s.weights.keys)), ("--dataset-label-column", Array(s.labelColumns.keys))] {
            for name in named.sorted() where !names.contains(name) {
                throw DataError("\(option) \(name)=…: no source is named '\(name)'; the sources are \(names.joined(separator: ", "))")
            }
        }
        let drawn = s.prompts.tasks.contains { $0.weight != nil }
        if !drawn && (s.examples != nil || !s.weights.isEmpty) {
            throw DataError("--examples and --weight need tasks with mixing weights (--task NAME:W): each source's examples are then drawn; without weights every cell gives one example per task")
        }
        let groupColumns = CorpusSplits.groupColumns(s.groupBy)
        let splitColumns = groupColumns + (s.stratifyBy.map { [$0] } ?? [])

        // Pass 1: check every source, gather what the splits and the vocabulary need: a tally of
        // the cells per group and label (new splits) or the reused plan's coverage, never the cells.
        let reused = try s.splits.map { try SplitPlan.read(path: $0) }
        var splitting = CorpusSplits.Pass(reused: reused, groupBy: groupColumns, stratifyBy: s.stratifyBy, columns: splitColumns)
        var checked: [Checked] = []
        var vocabularies: [(genes: [String], cells: [Int])] = []
        for source in s.sources {
            progress("checking \(source.name) (\(source.folder))")
            let (c, vocabulary) = try check(source, s, splitting: &splitting)
            checked.append(c)
            vocabularies.append(vocabulary)
        }
        let vocabulary = try CorpusVocabulary(names: names, vocabularies: vocabularies, keepCase: s.keepCase)
        vocabularies.removeAll()

        // Splits over all sources at once: groups never straddle two splits.
        let plan: SplitPlan
        let groupSplits: [[String]: Int]
        if let reused, let path = s.splits {
            try splitting.checkCoverage(path: path)
            plan = reused
            groupSplits = [:]
        } else {
            groupSplits = splitting.tally.assign(fractions: s.splitFractions, seed: s.prompts.seed)
            plan = SplitPlan(seed: s.prompts.seed, fractions: s.splitFractions, stratifyBy: s.stratifyBy, groupBy: groupColumns, assignments: [:])
        }
        var notes: [String] = []
        let cellsPerSplit = splitting.cellsPerSplit(groupSplits)
        let fractions = [plan.fractions.train, plan.fractions.validation, plan.fractions.test]
        for (k, fraction) in fractions.enumerated() where fraction > 0 && cellsPerSplit[k] == 0 {
            notes.append("the \(SplitPlan.splitNames[k]) split has no cells: whole groups (\(plan.groupBy.joined(separator: ", "))) cannot be shared \(fractions.map { "\($0)" }.joined(separator: "/")) among so few; add datasets, or group by a finer column (--group-by donor)")
        }
        let weights = names.map { s.weights[$0] ?? 1 }
        let allocation = drawn ? CorpusExampleAllocation.examples(cells: checked.map(\.cells), weights: weights, total: s.examples) : nil

        // Pass 2: the prompts, source after source, into the claimed output.
        let inputs = s.sources.map(\.folder) + [s.splits, s.prompts.taskFile, s.prompts.textFile].compactMap { $0 }
        let out = try AtomicOutput(s.output, folder: true, overwrite: s.overwrite, inputs: inputs,
                                   isOwnOutput: { CorpusManifest.isCorpus(folder: $0) })
        var sources: [CorpusManifest.Source] = []
        var totals = Dictionary(uniqueKeysWithValues: SplitPlan.splitNames.map { ($0, 0) })
        let coverage = vocabulary.coverage()
        var parts: [(path: String, lines: Int)] = []
        var splitPieces: [(name: String, path: String)] = []
        for (i, c) in checked.enumerated() {
            progress("prompts of \(c.source.name): \(c.cells) cells")
            // Each source into a part file of its own, interleaved into prompts.jsonl below; its
            // cells' splits into a piece of splits.json.
            let part = out.path(".source-\(i).jsonl")
            let writer = try PromptWriter(path: part, displayPath: s.output + "/" + promptsFile)
            let piece = reused == nil ? out.path(".splits-\(i).part") : nil
            if let piece { splitPieces.append((c.source.name, piece)) }
            let (summary, matchColumns, cellSplits) = try writePrompts(c, s, examples: allocation?[i], plan: plan, splitting: splitting,
                                                                      groupSplits: groupSplits, splitPiece: piece, writer: writer)
            try writer.close()
            parts.append((part, summary.total))
            var bySplit = Dictionary(uniqueKeysWithValues: SplitPlan.splitNames.map { ($0, 0) })
            for (_, counts) in summary.counts { for (split, n) in counts { bySplit[split, default: 0] += n } }
            for (split, n) in bySplit { totals[split, default: 0] += n }
            var cellsBySplit = Dictionary(uniqueKeysWithValues: SplitPlan.splitNames.map { ($0, 0) })
            for k in cellSplits { cellsBySplit[SplitPlan.splitNames[k], default: 0] += 1 }
            var sourceNotes = c.notes
            if summary.skippedMissingValues > 0 {
                sourceNotes.append("\(summary.skippedMissingValues) cell(s) or group(s) lacked a value a task needs (label or text) and were left out")
            }
            if summary.unmatchedPerturbed > 0 {
                sourceNotes.append("\(summary.unmatchedPerturbed) perturbed cell(s) had no control with the same \(matchColumns.joined(separator: ", ")) and were skipped")
            }
            if allocation?[i] == 0 { sourceNotes.append("weight x cells rounds to 0 examples: the source contributes none") }
            notes += sourceNotes.map { "\(c.source.name): \($0)" }
            sources.append(CorpusManifest.Source(
                dataset: c.source.name, path: c.source.folder,
                absolutePath: URL(fileURLWithPath: c.source.folder).standardizedFileURL.path,
                cells: c.cells, weight: weights[i], examples: bySplit, examplesByTask: summary.counts,
                cellsBySplit: cellsBySplit, organism: c.organism, labelColumn: c.labelColumn, sha256: c.checksum, checksumFiles: c.checksumFiles,
                genes: coverage[i].genes, genesOnlyHere: coverage[i].onlyHere, genesMissing: coverage[i].missing,
                notes: sourceNotes))
        }
        guard totals.values.reduce(0, +) > 0 else { throw DataError("the corpus has no examples: no source gave any (see the tasks' needs and the weights)") }
        progress("interleaving the sources' examples")
        let writer = try PromptWriter(path: out.path(promptsFile), displayPath: s.output + "/" + promptsFile)
        try CorpusInterleaving.merge(parts: parts.map(\.path), counts: parts.map(\.lines), seed: s.prompts.seed, into: writer)
        try writer.close()
        for part in parts { try? FileManager.default.removeItem(atPath: part.path) }

        if reused != nil {
            try plan.write(to: out.path(splitsFile))
        } else {
            // The sources' pieces in the order of their cells' names: a source's names all start
            // with "NAME/", and no name holds "/", so they never interleave with another's.
            try plan.write(to: out.path(splitsFile), assignmentPieces: splitPieces.sorted { $0.name + "/" < $1.name + "/" }.map(\.path))
            for piece in splitPieces { try? FileManager.default.removeItem(atPath: piece.path) }
        }
        try AtomicTextFile.write(vocabulary.vocabularyTSV(), to: out.path(vocabularyFile))
        try AtomicTextFile.write(vocabulary.presenceTSV(), to: out.path(genesFile))
        let manifest = CorpusManifest(
            created: ISO8601DateFormatter().string(from: Date()),
            files: ["prompts": promptsFile, "splits": splitsFile, "vocabulary": vocabularyFile, "gene_presence": genesFile],
            settings: .init(tasks: s.prompts.tasks.map { t in t.weight.map { "\(t.name):\($0)" } ?? t.name },
                            promptFormat: s.prompts.profile.name, topK: s.prompts.topK, examples: s.examples,
                            seed: s.prompts.seed, splitFractions: plan.fractions, groupBy: plan.groupBy,
                            stratifyBy: plan.stratifyBy, reusedSplits: s.splits,
                            weighting: drawn ? weightingText(total: s.examples) : "tasks without mixing weights: every cell of every source gives one example per task (weights do not apply)"),
            sources: sources, examples: totals,
            vocabulary: .init(genes: vocabulary.genes.count, inEveryDataset: vocabulary.inEverySource,
                              inSomeDatasets: vocabulary.genes.count - vocabulary.inEverySource,
                              nameStyle: vocabulary.style.description, keptCase: vocabulary.keptCase,
                              caseVariants: vocabulary.caseVariants))
        do { try manifest.encoded().write(to: URL(fileURLWithPath: out.path(manifestFile))) } catch {
            throw FileError(s.output + "/" + manifestFile, "cannot write (\(error.localizedDescription))")
        }
        try out.commit()
        if !vocabulary.caseVariants.isEmpty {
            notes.append("\(vocabulary.caseVariants.count) gene name(s) are spelled differently in case across datasets and kept as different genes (e.g. \(vocabulary.caseVariants[0].spellings.map(\.gene).joined(separator: " / "))); manifest.json lists them")
        }
        return CorpusResult(manifest: manifest, notes: notes, seconds: Date().timeIntervalSince(started))
    }

    /// Pass 1 for one source: opens it as a sentence dataset, checks the columns its tasks and
    /// the splits need (errors name its folder), checksums its files, and counts its cells into
    /// `splitting`. Returns what pass 2 needs and its vocabulary.
    static func check(_ source: CorpusSource, _ s: CorpusSettings,
                      splitting: inout CorpusSplits.Pass) throws -> (Checked, vocabulary: (genes: [String], cells: [Int])) {
        let dataset = try SentenceDataset(folder: source.folder)
        // Names and columns only: the genes are read in pass 2, one source at a time.
        let table = try CellTable.load(source.folder, maxGenes: 0, threads: s.prompts.threads)
        let (options, notes) = try PromptDatasetWriting.promptOptions(promptSettings(s, source: source, examples: nil), table: table)
        try validate(PromptBuilder(table: table, splits: emptyPlan, options: options), folder: source.folder)
        try CorpusSplits.checkColumns(s.groupBy, role: "group-by", table: table, folder: source.folder)
        if let c = s.stratifyBy { try CorpusSplits.checkColumns([c], role: "stratify-by", table: table, folder: source.folder) }
        try splitting.add(source: source.name, table: table)
        let files = ["manifest.json"] + dataset.manifest.files.values.sorted()
        let checked = Checked(source: source, cells: table.cells.count, organism: options.organism, labelColumn: options.labelColumn,
                              checksum: try FileChecksum.sha256(files: files, in: source.folder), checksumFiles: files, notes: notes)
        return (checked, (dataset.genes, dataset.geneCells))
    }

    /// Pass 2 for one source: its cells (top genes, names `DATASET/CELL`) made into prompts as
    /// `c2s prompts` makes them, with the corpus's splits and its share of the examples,
    /// appended to `writer`; the cells' assignments go to `splitPiece` (new splits). Returns
    /// the cells' splits too, in their order.
    static func writePrompts(_ c: Checked, _ s: CorpusSettings, examples: Int?, plan: SplitPlan, splitting: CorpusSplits.Pass,
                             groupSplits: [[String]: Int], splitPiece: String?,
                             writer: PromptWriter) throws -> (PromptSummary, matchColumns: [String], cellSplits: [Int]) {
        let loaded = try CellTable.load(c.source.folder, maxGenes: s.prompts.topK, threads: s.prompts.threads)
        guard loaded.cells.count == c.cells else {
            throw FileError(c.source.folder + "/cells.jsonl", "changed while the corpus was built (\(c.cells) cells, now \(loaded.cells.count))")
        }
        let table = CellTable(cells: loaded.cells.map { cell in
            var named = cell
            named.name = CorpusSplits.cellName(dataset: c.source.name, cell: cell.name)
            return named
        })
        let cellSplits = try splitting.splits(of: loaded, source: c.source.name, plan: plan, groupSplits: groupSplits)
        if let splitPiece {
            let text = SplitPlan.assignmentsText(names: table.cells.map(\.name), splits: cellSplits.map { SplitPlan.splitNames[$0] })
            do { try Data(text).write(to: URL(fileURLWithPath: splitPiece)) } catch {
                throw FileError(s.output + "/" + splitsFile, "cannot be written (\(error.localizedDescription))")
            }
        }
        let (options, _) = try PromptDatasetWriting.promptOptions(promptSettings(s, source: c.source, examples: examples), table: table)
        let builder = PromptBuilder(table: table, splits: plan, options: options, splitOfCell: cellSplits)
        try validate(builder, folder: c.source.folder)
        return (try builder.buildLines { try writer.write(lines: $0) }, options.matchColumns, cellSplits)
    }

    /// The prompt settings of one source: the corpus's, with its folder, its label column and
    /// its share of the examples.
    static func promptSettings(_ s: CorpusSettings, source: CorpusSource, examples: Int?) -> PromptDatasetSettings {
        var p = s.prompts
        p.dataset = source.folder
        p.examples = examples
        if let column = s.labelColumns[source.name] { p.labelColumn = column }
        return p
    }

    /// The weighting rule as the manifest states it.
    static func weightingText(total: Int?) -> String {
        if let total {
            return "the \(total) examples are shared among the sources in proportion to weight x cells (largest remainder); within a source each example's task is drawn with the task weights"
        }
        return "each source contributes round(weight x cells) examples; within a source each example's task is drawn with the task weights"
    }

    /// A plan with no cells, for checking a builder before the splits exist.
    static var emptyPlan: SplitPlan {
        SplitPlan(seed: 0, fractions: try! SplitFractions(train: 1, validation: 0, test: 0), stratifyBy: nil, groupBy: [], assignments: [:])
    }

    /// Checks the columns and templates the tasks need; the error names the source's folder.
    static func validate(_ builder: PromptBuilder, folder: String) throws {
        do { try builder.validate() } catch let e as DataError { throw DataError("\(folder): \(e.message)") }
    }
}
