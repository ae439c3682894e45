import CellSentences
import Foundation
import Mechanics
import Prompts
import SingleCell

/// How an input of cells is read.
public struct CellInputOptions: Sendable {
    /// How a count matrix is read (format, layer or raw, gene column).
    public var read = ReadOptions()
    /// Also apply the training data's cell and gene filters (min genes, min cells, QC limits)
    /// when converting a count matrix. Off by default, so that every input cell gets a result.
    public var applyFilters = false
    public var threads = Parallel.defaultThreads

    public init() {}
}

/// The cells a task runs on, as cell sentences: a sentence dataset (a folder made by
/// `c2s convert`, or its `cells.jsonl`), or a count matrix converted on the fly with the
/// settings of the model's training data.
public struct CellInput: Sendable {
    /// The path the user gave.
    public let path: String
    public let table: CellTable
    /// The input's genes, when known: a dataset's `vocab.tsv`, or a count matrix's genes
    /// (names resolved as in training) before the model's vocabulary was applied.
    public let genes: [String]?
    /// Where a count matrix was converted to (nil for sentence input).
    public let convertedTo: String?
    /// Cells the conversion dropped (with `applyFilters`).
    public let droppedCells: Int

    /// Whether `path` is a sentence dataset (folder with `cells.jsonl`, or a JSON-lines file)
    /// rather than a count matrix.
    public static func isSentenceInput(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return false }
        if isDir.boolValue { return FileManager.default.fileExists(atPath: path + "/cells.jsonl") }
        let name = path.lowercased()
        return name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.gz") || name.hasSuffix(".json")
    }

    /// Opens `path`, keeping the first `maxGenes` genes of each sentence. A count matrix is
    /// converted into `workFolder/input-sentences` (reused when a resumed run finds it there)
    /// through the model's vocabulary, with the gene naming, tie order and seed the model's
    /// training data was converted with (`conversionOptions`).
    public static func open(_ path: String, model: C2SModel, maxGenes: Int, workFolder: String,
                            options: CellInputOptions = CellInputOptions(),
                            progress: ConversionProgress? = nil) throws -> CellInput {
        guard FileManager.default.fileExists(atPath: path) else { throw FileError(path, "no such file or folder") }
        if isSentenceInput(path) {
            var genes: [String]?
            if FileManager.default.fileExists(atPath: path + "/vocab.tsv") {
                let dataset = try SentenceDataset(folder: path)
                genes = dataset.genes
                try checkGeneSubset(dataset, model: model)
            }
            return CellInput(path: path, table: try CellTable.load(path, maxGenes: maxGenes, threads: options.threads),
                             genes: genes, convertedTo: nil, droppedCells: 0)
        }
        let training = try model.requireSentences(for: "converting a count matrix into cell sentences")
        let folder = workFolder + "/input-sentences"
        let genesFile = workFolder + "/input-genes.txt"
        let manifest: DatasetManifest
        let inputGenes: [String]
        if FileManager.default.fileExists(atPath: folder + "/manifest.json"), let saved = try? String(contentsOfFile: genesFile, encoding: .utf8) {
            manifest = try DatasetManifest.read(folder: folder)
            inputGenes = saved.split(separator: "\n").map(String.init)
        } else {
            let conversion = try conversionOptions(training.manifest, options: options)
            let source = try VocabularySource(try ExpressionReader.open(path, options: options.read), vocabulary: training.genes,
                                              naming: conversion.naming)
            inputGenes = source.inputGenes
            guard source.geneCount > 0 else {
                throw FileError(path, "none of its \(source.inputGenes.count) genes is in the model's vocabulary of \(training.genes.count) genes (first input genes: \(source.inputGenes.prefix(5).joined(separator: ", ")); model genes: \(training.genes.prefix(5).joined(separator: ", "))); check that the gene names match (symbols vs Ensembl ids, --gene-column)")
            }
            var o = conversion
            o.obsColumns = source.obsSchema.columnNames.filter { $0 != "cell_name" && $0 != "cell_sentence" }
            try AtomicTextFile.write(inputGenes.joined(separator: "\n"), to: genesFile)
            manifest = try CellSentenceConverter.convert(source, to: folder, options: o, progress: progress)
        }
        return CellInput(path: path, table: try CellTable.load(folder, maxGenes: maxGenes, threads: options.threads),
                         genes: inputGenes, convertedTo: folder,
                         droppedCells: manifest.counts.cellsIn - manifest.counts.cellsKept)
    }

    /// A model trained on sentences kept to a gene subset (`c2s subset-genes`) reads only
    /// sentences kept to genes of that subset, and a model trained on whole sentences reads only
    /// whole ones: the first k genes of the one are not those of the other. (A count matrix is
    /// seen through the model's vocabulary, the subset's genes, so it needs no check.)
    static func checkGeneSubset(_ dataset: SentenceDataset, model: C2SModel) throws {
        guard let training = model.sentences else { return }
        let own = dataset.manifest.geneSubset, trained = training.manifest.geneSubset
        switch (own, trained) {
        case (nil, nil): return
        case (let own?, nil):
            throw FileError(dataset.folder, "its sentences keep only \(own.genesKept) genes (c2s subset-genes of \(own.from)), but the model was trained on whole sentences; give the whole dataset")
        case (nil, let trained?):
            throw FileError(dataset.folder, "the model was trained on sentences kept to \(trained.genesKept) genes (c2s subset-genes; listed under gene_subset in its manifest.json); give a dataset subset to those genes, or a count matrix")
        case (let own?, let trained?):
            let allowed = Set(trained.genes)
            if let stranger = own.genes.first(where: { !allowed.contains($0) }) {
                throw FileError(dataset.folder, "its sentences keep gene \(stranger), which is not among the \(trained.genesKept) genes the model's training sentences were kept to")
            }
        }
    }

    /// The training data's conversion settings, for a new count matrix (seen through the
    /// training vocabulary, `VocabularySource`): the same gene naming (case, duplicate policy),
    /// tie order and seed, so a cell gets the sentence it would have had in training; no gene
    /// filter (the vocabulary is the training data's filtered gene set), and cell filters only
    /// with `applyFilters`. Normalisation and log do not change the order of genes within a
    /// cell, so they cannot make sentences differ.
    static func conversionOptions(_ training: DatasetManifest, options: CellInputOptions) throws -> ConversionOptions {
        var o = ConversionOptions()
        o.preprocessing = training.preprocessing
        o.preprocessing.minCells = 0
        if !options.applyFilters {
            o.preprocessing.minGenes = 0
            o.preprocessing.minCounts = nil
            o.preprocessing.maxCounts = nil
            o.preprocessing.maxGenes = nil
            o.preprocessing.maxPercentMito = nil
        }
        o.seed = training.sentences.seed
        o.tieOrder = training.sentences.tieBreak
        guard let policy = DuplicateGenePolicy(rawValue: training.sentences.onDuplicate) else {
            throw DataError("the model's training manifest names an unknown duplicate-gene policy '\(training.sentences.onDuplicate)'")
        }
        o.naming = GeneNaming(upperCase: training.sentences.upperCase, policy: policy)
        o.threads = options.threads
        o.fit = nil
        o.checksum = false
        o.overwrite = true
        switch options.read.matrix {
        case .x: o.matrixLabel = "X"
        case .raw: o.matrixLabel = "raw/X"
        case .layer(let name): o.matrixLabel = "layers/\(name)"
        }
        o.formatName = options.read.format?.rawValue ?? ""
        o.geneColumn = options.read.geneColumn
        o.genesAsRows = options.read.genesAsRows
        return o
    }
}
