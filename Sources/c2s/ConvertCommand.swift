import ArgumentParser
import C2S
import CellSentences
import Foundation
import Prompts
import Transformer
import SingleCell
import Mechanics

extension InputFormat: ExpressibleByArgument {}
extension DuplicateGenePolicy: ExpressibleByArgument {}
extension TieOrder: ExpressibleByArgument {}

extension TargetSum: ExpressibleByArgument {}
extension LogTransform: ExpressibleByArgument {}

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a count matrix into a cell sentence dataset.",
        discussion: """
            Reads INPUT (.h5ad, a 10x folder or .h5, Matrix Market, CSV/TSV, gzipped or not), \
            filters and normalises it like scanpy, and writes a folder with cells.jsonl (one \
            JSON object per cell: cell_name, cell_sentence, requested obs columns), vocab.tsv \
            (gene, number of cells expressing it) and manifest.json (input checksum, every \
            setting, counts). Steps, in scanpy's order: --min-genes, --min-cells, QC limits, \
            normalisation to --target-sum, log(1+x) in --log-base.

            Several inputs (or a folder of them, read in name order) make one dataset, as if \
            their cells were in one file: they must share their gene list; obs columns that \
            every file has are kept, and source_file names each cell's file.

            Examples:
              c2s convert pbmc.h5ad -o pbmc-sentences --obs-columns cell_type
              c2s convert filtered_feature_bc_matrix/ -o sentences --target-sum median
              c2s convert counts.csv.gz -o sentences --genes-as-rows --min-genes 0
              c2s convert atlas-parts/ -o atlas-sentences --obs-columns cell_type,source_file
            """)

    @Argument(help: "Count matrix: .h5ad, 10x folder, 10x .h5, .mtx, .csv or .tsv (optionally .gz); or several, or a folder of them.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output folder (must not exist unless --overwrite).")
    var output: String

    @Option(help: "Input format; detected from the path when omitted (\(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))).")
    var format: InputFormat?

    @Option(help: "Read layers/NAME of an .h5ad instead of X.")
    var layer: String?

    @Flag(help: "Read raw/X (and raw/var) of an .h5ad instead of X.")
    var raw = false

    @Option(help: "Take gene names from this var column instead of the var index (.h5ad).")
    var geneColumn: String?

    @Flag(help: "Text or Matrix Market input has genes as rows and cells as columns.")
    var genesAsRows = false

    @Option(help: "Drop cells with fewer expressed genes (scanpy filter_cells); 0 keeps all.")
    var minGenes = 200

    @Option(help: "Drop genes expressed in fewer cells (scanpy filter_genes); 0 keeps all.")
    var minCells = 3

    @Option(help: "Drop cells with fewer total counts.")
    var minCounts: Double?

    @Option(help: "Drop cells with more total counts.")
    var maxCounts: Double?

    @Option(help: "Drop cells with more expressed genes.")
    var maxGenes: Int?

    @Option(help: "Drop cells with a higher percentage of mitochondrial counts.")
    var maxPctMito: Double?

    @Option(help: "Symbol prefix of mitochondrial genes (case-insensitive).")
    var mitoPrefix = "MT-"

    @Option(help: "Total each cell is scaled to: a number, 'median' (scanpy's default) or 'none'.")
    var targetSum: TargetSum = .fixed(1e4)

    @Option(help: "Logarithm of log(1+x): a base such as 10 or 2, 'e', or 'none'.")
    var logBase: LogTransform = .base(10)

    @Option(help: "Seed for the order of genes with equal expression.")
    var seed: UInt64 = 0

    @Option(help: "Order of tied genes: seeded (per cell, independent of threads) or reference (cell2sentence 1.2.0's exact order; use --seed 42 to match its output).")
    var tieOrder: TieOrder = .seeded

    @Flag(help: "Keep gene names as they are (the default for capitalised, mouse-style names).")
    var keepCase = false

    @Flag(help: "Upper-case gene names like the reference (the default unless most names are capitalised, mouse-style); clashes such as Pisd/PISD then need --on-duplicate.")
    var upperCase = false

    @Option(help: "Organism recorded in the manifest and named in prompts (default: detected from the gene names, Mus musculus for capitalised names, Homo sapiens for upper-case).")
    var organism: String?

    @Flag(help: "Rename repeated cell names name-1, name-2, ... (as anndata's obs_names_make_unique) instead of refusing the input.")
    var makeNamesUnique = false

    @Option(help: "When gene names clash: fail, make-unique, keep-first or sum.")
    var onDuplicate: DuplicateGenePolicy = .fail

    @Option(help: "Comma-separated obs columns to copy into cells.jsonl (also n_genes_by_counts, total_counts, pct_counts_mt).")
    var obsColumns: String?

    @OptionGroup(title: "Inverse transform (fitted while converting)")
    var fit: FitOptions

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Cells processed at a time (bounds memory).")
    var blockSize = 4096

    @Flag(help: "Replace the output folder if it exists.")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "No progress bar or summary.")
    var quiet = false

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one input") }
        if layer != nil && raw { throw ValidationError("--layer and --raw cannot be used together") }
        if keepCase && upperCase { throw ValidationError("--keep-case and --upper-case cannot be used together") }
        if let o = organism, o.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--organism must not be empty") }
        if minGenes < 0 || minCells < 0 { throw ValidationError("--min-genes and --min-cells must be >= 0") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if blockSize < 1 { throw ValidationError("--block-size must be at least 1") }
        if let m = maxPctMito, !(0...100).contains(m) { throw ValidationError("--max-pct-mito must be between 0 and 100") }
    }

    /// How the input is read.
    var readOptions: ReadOptions {
        var read = ReadOptions()
        read.format = format
        read.matrix = raw ? .raw : layer.map { .layer($0) } ?? .x
        read.geneColumn = geneColumn
        read.genesAsRows = genesAsRows
        // Conversion reads obs block by block; held whole it would grow with the cells.
        read.obsOnDemand = true
        return read
    }

    /// The conversion as the library takes it.
    var conversionOptions: ConversionOptions {
        var options = ConversionOptions()
        options.preprocessing.minGenes = minGenes
        options.preprocessing.minCells = minCells
        options.preprocessing.minCounts = minCounts
        options.preprocessing.maxCounts = maxCounts
        options.preprocessing.maxGenes = maxGenes
        options.preprocessing.maxPercentMito = maxPctMito
        options.preprocessing.mitoPrefix = mitoPrefix
        options.preprocessing.targetSum = targetSum
        options.preprocessing.log = logBase
        options.seed = seed
        options.tieOrder = tieOrder
        // Neither flag: the names' style decides (GeneNaming keeps mouse-style case).
        options.naming = GeneNaming(upperCase: keepCase ? false : upperCase ? true : nil, policy: onDuplicate)
        options.organism = organism
        options.duplicateCellNames = makeNamesUnique ? .makeUnique : .error
        options.obsColumns = obsColumns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
        options.threads = threads ?? Parallel.defaultThreads
        options.blockSize = blockSize
        options.overwrite = overwrite
        options.matrixLabel = raw ? "raw/X" : layer.map { "layers/\($0)" } ?? "X"
        options.fit = fit.noFit ? nil : fit.settings
        options.geneColumn = geneColumn
        options.genesAsRows = genesAsRows
        return options
    }

    func run() throws {
        var settings = DatasetConversionSettings(inputs: inputs, output: output)
        settings.read = readOptions
        settings.options = conversionOptions
        let started = Date()
        try CLIErrors.run {
            let bar = ProgressBar(quiet: quiet)
            let r = try DatasetConversion.run(settings) { bar.report($0, quiet: quiet) }
            bar.finish()
            if !quiet {
                let manifest = r.manifest
                if let f = manifest.inverseTransform { printError(FitOptions.describe(f)) }
                r.conversionWarnings.forEach { printError("warning: \($0)") }
                let c = manifest.counts
                if let style = manifest.sentences.geneNameStyle {
                    printError("gene names \(style.description); \(manifest.sentences.upperCase ? "upper-cased" : "case kept"); organism \(manifest.organism ?? "unknown")\(manifest.organismSource.map { " (\($0))" } ?? "")")
                }
                printError(String(format: "%@: %d of %d cells, %d of %d genes, mean sentence length %.0f genes, %.2f s -> %@",
                                  r.inputName, c.cellsKept, c.cellsIn, c.genesKept, c.genesIn, manifest.sentences.meanLength,
                                  Date().timeIntervalSince(started), output))
            }
        }
    }
}

/// Options of the inverse-transform fit, shared by `convert` and `fit`.
struct FitOptions: ParsableArguments {
    @Option(help: "Cells sampled for the fit (per group with --fit-by).")
    var fitCells = 1024

    @Option(help: "Seed of the cell sample.")
    var fitSeed: UInt64 = 0

    @Option(help: "Fit only points with log10(1 + rank) below this (3 = the top 999 genes of each cell).")
    var fitThreshold = 3.0

    @Option(help: "Also fit one model per value of this obs column (e.g. cell type) and compare.")
    var fitBy: String?

    @Flag(help: "Do not fit the inverse transform.")
    var noFit = false

    func validate() throws {
        if fitCells < 1 { throw ValidationError("--fit-cells must be at least 1") }
        if !(fitThreshold > 0) { throw ValidationError("--fit-threshold must be positive") }
    }

    var settings: InverseTransformSettings {
        var s = InverseTransformSettings()
        s.sampleSize = fitCells
        s.seed = fitSeed
        s.logRankThreshold = fitThreshold
        s.groupColumn = fitBy
        return s
    }

    static func describe(_ f: InverseTransformFit) -> String {
        var text = String(format: "inverse transform: expression = %.4f * log10(1 + rank) + %.4f; R^2 %.4f, Pearson %.4f, Spearman %.4f (%d cells, %d points)",
                          f.model.slope, f.model.intercept, f.quality.rSquared, f.quality.pearson, f.quality.spearman, f.quality.cells, f.quality.points)
        if let g = f.pooledGroupQuality, let gl = f.pooledGlobalQuality, let column = f.settings.groupColumn {
            text += String(format: "\n  per %@ fits: R^2 %.4f vs %.4f with the global fit on the same cells", column, g.rSquared, gl.rSquared)
        }
        return text
    }
}
