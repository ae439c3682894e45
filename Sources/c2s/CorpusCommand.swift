import ArgumentParser
import C2S
import Foundation
import Mechanics
import Prompts
import SingleCell

struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Build one prompt dataset from many sentence datasets (a corpus).",
        discussion: """
            Every source (a folder from 'c2s convert') gives prompts as 'c2s prompts' would \
            make them, with the same task options; they go into one OUT/prompts.jsonl, the \
            sources' lines interleaved at random (seeded; each source's in its own order), which \
            'c2s train' and 'c2s tokenizer train' read as they read any prompt file. Cell names become \
            DATASET/CELL, so equal barcodes in two datasets stay two cells.

            Sources: folders on the command line and/or --sources FILE (one folder a line, '#' \
            comments; relative paths are relative to the list file). A source is named after \
            its folder, or NAME=FOLDER; names must be unique.

            Splits are grouped by dataset: by default whole datasets go to train, validation or \
            test, so no study leaks into evaluation. --group-by donor groups by (dataset, donor) \
            instead: equal donor ids in two datasets are two groups, and no group is ever in two \
            splits. They are written to OUT/splits.json (cell names DATASET/CELL); --splits \
            reuses one.

            Weights (with task weights, --task NAME:W): a source of c cells with --weight \
            NAME=w contributes round(w x c) examples (weight 1, the default: one per cell); \
            with --examples N the N examples are shared in proportion to w x c. Within a \
            source, each example's task is drawn with the task weights.

            The folder also holds vocab.tsv (the union of the sources' genes, gene<TAB>n_cells: \
            'c2s tokenizer train --gene-aware OUT' reads it), genes.tsv (which datasets have \
            each gene) and manifest.json (every source's path, cells, weight, examples per \
            split, SHA-256 of its manifest.json and sentence files). Genes are one gene when \
            spelled alike; spellings that differ only in case (Actb, ACTB) are an error when \
            the names are human style, as in convert, unless --keep-case.

            Datasets name their labels differently: --dataset-label-column NAME=COLUMN gives a \
            source's own label column.

            Examples:
              c2s corpus kang-sentences zheng-sentences --task cell_type_prediction:1 \\
                  --dataset-label-column kang-sentences=seurat_annotations -o corpus
              c2s corpus --sources datasets.txt --task cell_type_prediction:2 \\
                  --task cell_type_generation:1 --weight kang=2 --examples 50000 \\
                  --group-by donor -o corpus
              c2s tokenizer train corpus/prompts.jsonl --gene-aware corpus -o tokenizer
              c2s train corpus/prompts.jsonl --tokenizer tokenizer ... -o model
            """)

    @Argument(help: "Sentence dataset folders (from 'c2s convert'), each FOLDER or NAME=FOLDER.")
    var datasets: [String] = []

    @Option(help: "A text file listing sentence dataset folders, one per line (FOLDER or NAME=FOLDER).")
    var sources: String?

    @Option(name: .shortAndLong, help: "Output folder (created): prompts.jsonl, splits.json, vocab.tsv, genes.tsv, manifest.json.")
    var output: String

    @OptionGroup var prompt: PromptTaskArguments

    @Option(help: "NAME=COLUMN: the label column of source NAME, where it differs from --label-column (e.g. kang=seurat_annotations). Repeat for several.")
    var datasetLabelColumn: [String] = []

    @Option(name: .customLong("weight"), help: "NAME=W: source NAME weighs W (> 0; default 1): it contributes W examples per cell (needs task weights). Repeat for several.")
    var weights: [String] = []

    @Option(help: "Examples in all, shared among the sources in proportion to weight x cells (needs task weights; default: weight x cells each).")
    var examples: Int?

    @Option(help: "Train,validation,test fractions (of cells, reached as closely as whole groups allow).")
    var splitFractions = "0.8,0.1,0.1"

    @Option(help: "Comma-separated obs columns grouping cells within each dataset (e.g. donor or study); default: dataset (whole datasets).")
    var groupBy: String?

    @Option(help: "Column to stratify the groups' allocation by (e.g. cell_type).")
    var stratifyBy: String?

    @Option(help: "Reuse the splits in this corpus splits.json instead of making new ones.")
    var splits: String?

    @Option(help: "Seed for splits, groups, pairs, template choice and mixing.")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (default: all cores); the output is the same for any number.")
    var threads: Int?

    @Flag(help: "Keep gene spellings that differ only in case (Actb, ACTB) as different genes even when the names are human style.")
    var keepCase = false

    @Flag(help: "Replace the output folder if it is an earlier 'c2s corpus' output.")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if datasets.isEmpty && sources == nil { throw ValidationError("give sentence dataset folders, or --sources FILE listing them") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let n = examples, n < 1 { throw ValidationError("--examples must be at least 1") }
    }

    /// `NAME=VALUE` options by name; a name given twice is an error.
    static func pairs(_ options: [String], option: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for o in options {
            let parts = o.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw DataError("\(option) \(o): write NAME=VALUE") }
            guard result[parts[0]] == nil else { throw DataError("\(option) names '\(parts[0])' twice") }
            result[parts[0]] = parts[1]
        }
        return result
    }

    func run() throws {
        try CLIErrors.run {
            var list = try datasets.map { try CorpusSource.parse($0) }
            if let sources { list += try CorpusSource.list(file: sources) }
            try CorpusSource.checkUnique(list)
            var prompts = try prompt.settings(dataset: "", output: output)
            prompts.seed = seed
            prompts.threads = threads ?? Parallel.defaultThreads
            var s = try CorpusSettings(sources: list, output: output, prompts: prompts)
            s.weights = try CorpusExampleAllocation.weights(weights, sources: list.map(\.name))
            s.labelColumns = try Self.pairs(datasetLabelColumn, option: "--dataset-label-column")
            s.examples = examples
            if splits == nil { s.splitFractions = try SplitFractions(argument: splitFractions) }
            s.groupBy = PromptTaskArguments.columns(groupBy)
            s.stratifyBy = stratifyBy
            s.splits = splits
            s.keepCase = keepCase
            s.overwrite = overwrite
            let r = try CorpusBuilding.run(s, progress: { if !quiet { printError($0) } })
            guard !quiet else { return }
            let m = r.manifest
            func perSplit(_ counts: [String: Int]) -> String {
                SplitPlan.splitNames.map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ")
            }
            for source in m.sources {
                printError("\(source.dataset): \(source.cells) cells, weight \(source.weight) -> \(perSplit(source.examples))")
            }
            r.notes.forEach { printError("note: \($0)") }
            printError("vocabulary: \(m.vocabulary.genes) genes, \(m.vocabulary.inEveryDataset) in every dataset, \(m.vocabulary.inSomeDatasets) only in some (genes.tsv)")
            let datasets = m.sources.count == 1 ? "1 dataset" : "\(m.sources.count) datasets"
            printError(String(format: "%d examples (%@) from %@ -> %@, %.2f s", r.total, perSplit(m.examples), datasets, output, r.seconds))
        }
    }
}
