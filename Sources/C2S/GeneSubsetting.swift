import CellSentences
import Evaluation
import Foundation
import Mechanics
import Prompts
import SingleCell

/// What `c2s subset-genes` reads and writes.
public struct GeneSubsetSettings: Sendable {
    /// How the genes are chosen.
    public enum Choice: Sendable {
        /// The genes listed in a text file, one per line.
        case listed(path: String)
        /// The `count` most variable genes (``HighlyVariableGenes``, Seurat flavour) of the
        /// dataset's input, from the cells that `splits` assigns to `split` (every cell of the
        /// dataset when `splits` is nil). `input` is where the input file is now, if it moved.
        case highlyVariable(count: Int, splits: String?, split: String, input: String?)
    }

    /// The sentence dataset folder (only read).
    public var sentences: String
    public var output: String
    public var choice: Choice
    public var overwrite = false
    /// Counts per cell before ln(1 + x), for the selection (as `c2s evaluate annotation`'s
    /// baselines normalise).
    public var normalizeTarget = 1e4

    public init(sentences: String, output: String, choice: Choice) {
        self.sentences = sentences
        self.output = output
        self.choice = choice
    }
}

/// A sentence dataset whose sentences keep only some genes: each cell's sentence with the other
/// genes left out, the rest in their original order, so that the first N genes of a cell are its
/// N most expressed genes of the subset. The workflow behind `c2s subset-genes`. With the
/// highly variable genes of the training cells, the sentences hold what an analyst's classifier
/// reads (logistic regression on HVGs), not the housekeeping and ribosomal genes that fill the
/// first places of most cells' sentences: an annotation model reading them is a second view of
/// each cell (docs/SCIENCE.md §5e). Everything else of the dataset is kept (cell names, obs
/// columns, organism); the inverse transform is not, since sentence positions change. The folder
/// appears only when complete.
public enum GeneSubsetting {
    /// The name of the subset's gene list in the output folder.
    public static let genesFile = "genes.txt"

    public struct Result: Sendable {
        public var manifest: DatasetManifest
        /// The subset, in the dataset's gene order.
        public var genes: [String]
        /// Genes asked for that the sentences do not hold (a list given by the user).
        public var missing: [String]
        public var cells: Int
        /// Cells the highly variable genes were chosen from (nil for a given list).
        public var selectionCells: Int?
    }

    public static func run(_ s: GeneSubsetSettings) throws -> Result {
        let started = Date()
        let dataset = try SentenceDataset(folder: s.sentences)
        if let earlier = dataset.manifest.geneSubset {
            throw FileError(s.sentences, "is already a gene subset (of \(earlier.from)); subset the original dataset")
        }
        guard let cellsFile = dataset.manifest.files["cells"], !cellsFile.hasSuffix(".gz") else {
            throw FileError(s.sentences + "/manifest.json", "names no plain cells file (a dataset written by 'c2s convert' has cells.jsonl)")
        }
        let cellsPath = s.sentences + "/" + cellsFile
        try AtomicOutput.checkNotAnInput(s.output, inputs: [s.sentences])
        let held = Set(dataset.genes)

        var requested: [String], chosenBy: String, selectionCells: Int?
        switch s.choice {
        case .listed(let path):
            requested = try listedGenes(path)
            chosenBy = "listed in \(path)"
        case .highlyVariable(let count, let splits, let split, let input):
            guard count >= 1 else { throw DataError("the number of highly variable genes must be at least 1, not \(count)") }
            let names = try CellTable.load(cellsPath, maxGenes: 0).cells.map(\.name)
            var cells = names
            if let splits {
                let plan = try SplitPlan.read(path: splits)
                cells = names.filter { plan.assignments[$0] == split }
                guard !cells.isEmpty else {
                    throw FileError(splits, "assigns none of the cells of \(s.sentences) to '\(split)'")
                }
            }
            requested = try highlyVariable(dataset, count: count, cells: cells, input: input, normalizeTarget: s.normalizeTarget)
            selectionCells = cells.count
            chosenBy = "the \(count) most variable genes (Seurat flavour, as scanpy's highly_variable_genes(flavor=\"seurat\")) of the counts "
                + "normalised to \(Int(s.normalizeTarget)) per cell and ln(1 + x), among the dataset's genes, from "
                + (splits.map { "the \(cells.count) '\(split)' cells of \($0)" } ?? "all \(cells.count) cells")
        }
        let wanted = Set(requested)
        let kept = dataset.genes.filter { wanted.contains($0) }
        guard !kept.isEmpty else {
            throw DataError("none of the \(requested.count) genes asked for is in the sentences of \(s.sentences)")
        }
        let keep = Set(kept)

        let out = try AtomicOutput(s.output, folder: true, overwrite: s.overwrite, inputs: [s.sentences],
                                   isOwnOutput: { FileManager.default.fileExists(atPath: $0 + "/manifest.json") })
        let writer = try BufferedFileWriter(out.path("cells.jsonl"), displayPath: s.output + "/cells.jsonl")
        var lengths = (total: 0, min: Int.max, max: 0, cells: 0)
        var sentence: [UInt8] = []
        try TextFileLines.forEach(path: cellsPath) { line, number in
            let bytes = Array(line.utf8)
            let restricted = try bytes.withUnsafeBufferPointer { buffer -> (head: Range<Int>, tail: Range<Int>, words: [UInt8], count: Int) in
                let parsed: (fields: [(String, JSONScalar)], found: Bool, inPlace: Range<Int>?)
                do {
                    parsed = try JSONLineParser.parse(buffer, sentenceField: Array("cell_sentence".utf8), sentence: &sentence, allowInPlace: true)
                } catch {
                    throw FileError(cellsPath, "line \(number) is not a JSON object (\(error))")
                }
                guard parsed.found, let raw = parsed.inPlace ?? rawStringRange(of: "cell_sentence", in: buffer) else {
                    throw FileError(cellsPath, "line \(number) has no cell_sentence")
                }
                let text = parsed.inPlace.map { Array(buffer[$0]) } ?? sentence
                let (words, count) = restrict(text, keeping: keep)
                return (0..<raw.lowerBound, raw.upperBound..<buffer.count, parsed.inPlace == nil ? JSONText.escapedBody(String(decoding: words, as: UTF8.self)) : words, count)
            }
            try writer.write(Array(bytes[restricted.head]))
            try writer.write(restricted.words)
            try writer.write(Array(bytes[restricted.tail]))
            try writer.write([10])
            lengths.total += restricted.count
            lengths.min = min(lengths.min, restricted.count)
            lengths.max = max(lengths.max, restricted.count)
            lengths.cells += 1
        }
        try writer.close()

        // A gene's cell count does not depend on the other genes, so the kept rows stand as they were.
        let vocabulary = GeneVocabularyFile(genes: kept, cells: zip(dataset.genes, dataset.geneCells).filter { keep.contains($0.0) }.map(\.1))
        try vocabulary.text.write(toFile: out.path(GeneVocabularyFile.fileName), atomically: false, encoding: .utf8)
        try (kept.joined(separator: "\n") + "\n").write(toFile: out.path(genesFile), atomically: false, encoding: .utf8)

        var manifest = dataset.manifest
        manifest.tool = "c2s"
        manifest.toolVersion = C2SVersion.string
        manifest.created = ISO8601DateFormatter().string(from: Date())
        manifest.sentences.meanLength = Double(lengths.total) / Double(max(1, lengths.cells))
        manifest.sentences.minLength = lengths.cells == 0 ? 0 : lengths.min
        manifest.sentences.maxLength = lengths.max
        manifest.inverseTransform = nil
        manifest.files = ["cells": "cells.jsonl", "vocabulary": GeneVocabularyFile.fileName, "genes": genesFile]
        manifest.seconds = Date().timeIntervalSince(started)
        manifest.geneSubset = .init(from: s.sentences, fromAbsolute: URL(fileURLWithPath: s.sentences).standardizedFileURL.path,
                                    chosenBy: chosenBy, genesRequested: requested.count, genesKept: kept.count, file: genesFile,
                                    genes: kept)
        try manifest.encoded().write(to: URL(fileURLWithPath: out.path("manifest.json")))
        try out.commit()
        return Result(manifest: manifest, genes: kept, missing: requested.filter { !held.contains($0) }, cells: lengths.cells,
                      selectionCells: selectionCells)
    }

    /// The words of `sentence` (space-separated gene names) that are in `keep`, space-separated,
    /// and how many.
    static func restrict(_ sentence: [UInt8], keeping keep: Set<String>) -> ([UInt8], Int) {
        var out: [UInt8] = []
        out.reserveCapacity(sentence.count)
        var count = 0
        for word in sentence.split(separator: 32) where keep.contains(String(decoding: word, as: UTF8.self)) {
            if count > 0 { out.append(32) }
            out.append(contentsOf: word)
            count += 1
        }
        return (out, count)
    }

    /// Where the raw text of the string value of `key` lies in a JSON object's line (between its
    /// quotes, escapes as written), for a value the parser had to unescape. A key's quotes
    /// cannot be matched inside another string, where quotes are escaped.
    static func rawStringRange(of key: String, in line: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let pattern = Array("\"\(key)\"".utf8)
        var i = 0
        search: while i + pattern.count <= line.count {
            for k in pattern.indices where line[i + k] != pattern[k] { i += 1; continue search }
            var p = i + pattern.count
            while p < line.count, line[p] == 32 || line[p] == 9 { p += 1 }
            guard p < line.count, line[p] == 58 else { i += 1; continue }  // :
            p += 1
            while p < line.count, line[p] == 32 || line[p] == 9 { p += 1 }
            guard p < line.count, line[p] == 34 else { return nil }  // "
            let start = p + 1
            p = start
            while p < line.count {
                if line[p] == 92 { p += 2; continue }  // backslash: skip the escaped byte
                if line[p] == 34 { return start..<p }
                p += 1
            }
            return nil
        }
        return nil
    }

    /// Genes of a list file: one per line; blank lines and lines starting with '#' skipped,
    /// surrounding spaces trimmed, repeats kept once.
    static func listedGenes(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { throw FileError(path, "no such file") }
        var genes: [String] = [], seen = Set<String>()
        try TextFileLines.forEach(path: path) { line, number in
            let gene = line.trimmingCharacters(in: .whitespaces)
            guard !gene.isEmpty, !gene.hasPrefix("#") else { return }
            guard !gene.contains(" ") && !gene.contains("\t") else {
                throw FileError(path, "line \(number) is not one gene name ('\(gene)'): list one gene per line")
            }
            if seen.insert(gene).inserted { genes.append(gene) }
        }
        guard !genes.isEmpty else { throw FileError(path, "lists no genes") }
        return genes
    }

    /// The `count` most variable of the dataset's genes, from `cells` (by name) of its input
    /// read again as `convert` read it (same matrix, gene names as the sentences spell them,
    /// clashing names merged as convert merged them), normalised to `normalizeTarget` per cell
    /// and ln(1 + x).
    static func highlyVariable(_ dataset: SentenceDataset, count: Int, cells: [String], input: String?,
                               normalizeTarget: Double) throws -> [String] {
        let manifest = dataset.manifest
        let path = try DatasetInput.singleFile(manifest, folder: dataset.folder, override: input)
        let table = try ExpressionMatrix.read(path, options: DatasetInput.readOptions(manifest))
        let policy = DuplicateGenePolicy(rawValue: manifest.sentences.onDuplicate) ?? .fail
        let naming = try GeneNaming(upperCase: manifest.sentences.upperCase, policy: policy).resolve(table.genes, path: path)
        var rowOf: [String: Int] = [:]
        for (i, n) in table.cellNames.enumerated() where rowOf[n] == nil { rowOf[n] = i }
        let rows = try cells.map { name -> Int in
            guard let r = rowOf[name] else { throw FileError(path, "has no cell '\(name)' of \(dataset.folder)") }
            return r
        }
        let merged = mergeColumns(table.matrix.selecting(rows: rows), map: naming.columnMap, columns: naming.names.count)
        let chosen = ExpressionMatrix(path: path, genes: naming.names, cellNames: cells, obs: DataFrame(index: cells), matrix: merged)
        let log = chosen.logNormalized(target: normalizeTarget, base: .e).matrix
        var column: [String: Int] = [:]
        for (i, n) in naming.names.enumerated() { column[n] = i }
        let candidates = dataset.genes.compactMap { column[$0] }
        let selected = try HighlyVariableGenes.seurat(log.selecting(columns: candidates), top: count).selected
        return selected.map { naming.names[candidates[$0]] }
    }

    /// `x` with its columns renumbered by `map` (-1: dropped), values landing in one column added.
    static func mergeColumns(_ x: FeatureRows, map: [Int32], columns: Int) -> FeatureRows {
        var indptr = [0], indices: [Int32] = [], values: [Double] = []
        indices.reserveCapacity(x.indices.count)
        values.reserveCapacity(x.values.count)
        var slot = [Int](repeating: -1, count: columns)
        for r in 0..<x.rowCount {
            let rowStart = indices.count
            for k in x.indptr[r]..<x.indptr[r + 1] {
                let c = Int(map[Int(x.indices[k])])
                guard c >= 0 else { continue }
                if slot[c] >= rowStart { values[slot[c]] += x.values[k]; continue }
                slot[c] = indices.count
                indices.append(Int32(c))
                values.append(x.values[k])
            }
            indptr.append(indices.count)
        }
        return FeatureRows(rowCount: x.rowCount, columnCount: columns, indptr: indptr, indices: indices, values: values)
    }
}
