import Foundation
import SingleCell

/// Everything `convert` needs besides the input and output.
public struct ConversionOptions: Sendable {
    public var preprocessing = PreprocessingOptions()
    /// Seed of the tie-breaking order.
    public var seed: UInt64 = 0
    public var naming = GeneNaming()
    /// `obs` columns copied into each line of `cells.jsonl` (the QC metrics `n_genes_by_counts`,
    /// `total_counts` and `pct_counts_mt` may be named too).
    public var obsColumns: [String] = []
    public var threads = Parallel.defaultThreads
    /// Cells read and processed at a time; bounds memory.
    public var blockSize = 4096
    public var overwrite = false
    /// Format name and matrix label recorded in the manifest.
    public var formatName = ""
    public var matrixLabel = "X"

    public init() {}
}

/// Progress callbacks: a phase name, cells done, cells in the phase.
public typealias ConversionProgress = (_ phase: String, _ done: Int, _ total: Int) -> Void

/// Converts an expression matrix into a sentence dataset folder (`cells.jsonl`, `vocab.tsv`,
/// `manifest.json`), streaming over the cells.
public enum CellSentenceConverter {
    /// QC metrics that may be requested as output columns.
    public static let qcColumns = ["n_genes_by_counts", "total_counts", "pct_counts_mt"]

    public static func convert(
        _ source: ExpressionSource,
        to output: String,
        options: ConversionOptions,
        progress: ConversionProgress? = nil
    ) throws -> DatasetManifest {
        let started = Date()
        guard source.cellCount > 0, source.geneCount > 0 else {
            throw FileError(source.path, "the matrix is empty (\(source.cellCount) cells x \(source.geneCount) genes)")
        }
        let naming = try options.naming.resolve(source.geneNames, path: source.path)
        let transform: ((CSRRows) throws -> CSRRows)? = naming.isIdentity ? nil : { naming.remap($0) }

        for name in options.obsColumns where source.obs.column(name) == nil && !qcColumns.contains(name) {
            let available = source.obs.columnNames + qcColumns
            throw FileError(source.path, "obs has no column '\(name)'; available: \(available.joined(separator: ", "))")
        }
        let out = try AtomicOutput(output, folder: true, overwrite: options.overwrite)

        // The checksum runs beside the conversion; it reads the file independently.
        let checksum = ChecksumTask(source.path)

        let passes = Preprocessor.passesPlanned(options.preprocessing)
        let plan = try Preprocessor.plan(
            source, options: options.preprocessing, geneNames: naming.names, threads: options.threads,
            blockSize: options.blockSize, columnTransform: transform,
            progress: progress.map { p in { done, _ in p("filtering", done, source.cellCount * passes) } })

        let geneNames = plan.keptGenes.map { naming.names[$0] }
        let writer = try BufferedFileWriter(out.path("cells.jsonl"), displayPath: output + "/cells.jsonl")
        let stats = try writeSentences(source, plan: plan, geneNames: geneNames, options: options,
                                       transform: transform, writer: writer, progress: progress)
        try writer.close()

        var vocab = "gene\tn_cells\n"
        for (g, name) in geneNames.enumerated() { vocab += "\(name)\t\(stats.geneCells[g])\n" }
        let vocabWriter = try BufferedFileWriter(out.path("vocab.tsv"), displayPath: output + "/vocab.tsv")
        try vocabWriter.write(vocab)
        try vocabWriter.close()

        let sha = try checksum.wait()
        let attributes = try? FileManager.default.attributesOfItem(atPath: source.path)
        let kept = max(1, plan.keptCells.count)
        var warnings = source.warnings + naming.warnings
        if plan.keptCells.isEmpty { warnings.append("no cells left after filtering") }
        let manifest = DatasetManifest(
            tool: "c2s", toolVersion: C2SInfo.version, created: ISO8601DateFormatter().string(from: Date()),
            input: .init(path: source.path, absolutePath: URL(fileURLWithPath: source.path).standardizedFileURL.path,
                         format: options.formatName, matrix: options.matrixLabel, sha256: sha,
                         bytes: (attributes?[.size] as? NSNumber)?.int64Value ?? 0,
                         cells: source.cellCount, genes: source.geneCount),
            preprocessing: options.preprocessing, targetSumUsed: plan.targetSumUsed, counts: plan.counts,
            sentences: .init(seed: options.seed,
                             tieBreak: "seeded shuffle per (seed, input row) then stable sort by value, descending",
                             upperCase: options.naming.upperCase, onDuplicate: options.naming.policy.rawValue,
                             geneNameClashes: naming.clashes, delimiter: " ",
                             meanLength: Double(stats.totalLength) / Double(kept),
                             minLength: stats.minLength, maxLength: stats.maxLength),
            obsColumns: options.obsColumns,
            files: ["cells": "cells.jsonl", "vocabulary": "vocab.tsv"],
            warnings: warnings, seconds: Date().timeIntervalSince(started))
        try manifest.encoded().write(to: URL(fileURLWithPath: out.path("manifest.json")))
        try out.commit()
        return manifest
    }

    struct SentenceStats {
        var geneCells: [Int]
        var totalLength = 0
        var minLength = Int.max
        var maxLength = 0
    }

    static func writeSentences(
        _ source: ExpressionSource, plan: PreprocessingPlan, geneNames: [String], options: ConversionOptions,
        transform: ((CSRRows) throws -> CSRRows)?, writer: BufferedFileWriter, progress: ConversionProgress?
    ) throws -> SentenceStats {
        let nGenes = geneNames.count
        let threads = max(1, options.threads)
        let geneBytes = geneNames.map { JSONText.escapedBody($0) }
        let columns = try OutputColumns(source: source, plan: plan, names: options.obsColumns)
        let rank = RankTransform(seed: options.seed)
        // Per-worker gene counters, merged at the end.
        var counters = [[Int]](repeating: [Int](repeating: 0, count: nGenes), count: threads)
        var stats = SentenceStats(geneCells: [Int](repeating: 0, count: nGenes))
        let scratches = (0..<threads).map { _ in RankTransform.Scratch() }
        let needsValidation = plan.passes == 0

        try BlockStream(source, blockSize: options.blockSize).forEach(transform: transform) { block in
            if needsValidation { try Preprocessor.validate(block, source: source) }
            let (matrix, rows) = plan.apply(to: block, threads: threads)
            let parts = Parallel.ranges(rows.count, parts: threads)
            var buffers = [[UInt8]](repeating: [], count: parts.count)
            var lengths = [(total: Int, min: Int, max: Int)](repeating: (0, Int.max, 0), count: parts.count)
            let shared = UncheckedSendable((matrix, rows, geneBytes, columns, scratches))
            buffers.withUnsafeMutableBufferPointer { bb in
            lengths.withUnsafeMutableBufferPointer { lb in
            counters.withUnsafeMutableBufferPointer { cb in
                let bP = SendablePointer(bb.baseAddress!), lP = SendablePointer(lb.baseAddress!), cP = SendablePointer(cb.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: parts.count) { p in
                    let (matrix, rows, geneBytes, columns, scratches) = shared.value
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(parts[p].count * 4096)
                    var order = [Int32](repeating: 0, count: 256)
                    var local = lP[p]
                    cP.p[p].withUnsafeMutableBufferPointer { counts in
                        for r in parts[p] {
                            let range = matrix.range(ofRow: r)
                            if order.count < range.count { order = [Int32](repeating: 0, count: range.count * 2) }
                            let n = matrix.values.withUnsafeBufferPointer { vals in
                                order.withUnsafeMutableBufferPointer { ob in
                                    rank.order(cell: rows[r], values: vals.baseAddress! + range.lowerBound, count: range.count,
                                               scratch: scratches[p], into: ob.baseAddress!)
                                }
                            }
                            bytes.append(contentsOf: #"{"cell_name":"#.utf8)
                            JSONText.appendString(columns.cellName(rows[r]), to: &bytes)
                            bytes.append(contentsOf: #","cell_sentence":""#.utf8)
                            for k in 0..<n {
                                let g = Int(matrix.indices[range.lowerBound + Int(order[k])])
                                if k > 0 { bytes.append(32) }
                                bytes.append(contentsOf: geneBytes[g])
                                counts[g] += 1
                            }
                            bytes.append(34)
                            columns.append(row: rows[r], to: &bytes)
                            bytes.append(contentsOf: "}\n".utf8)
                            local.total += n
                            local.min = min(local.min, n)
                            local.max = max(local.max, n)
                        }
                    }
                    lP[p] = local
                    bP[p] = bytes
                }
            }}}
            for (p, b) in buffers.enumerated() {
                try writer.write(b)
                stats.totalLength += lengths[p].total
                stats.minLength = min(stats.minLength, lengths[p].min)
                stats.maxLength = max(stats.maxLength, lengths[p].max)
            }
            progress?("writing sentences", block.firstRow + block.rowCount, source.cellCount)
        }
        for c in counters { for g in 0..<nGenes { stats.geneCells[g] += c[g] } }
        if stats.minLength == Int.max { stats.minLength = 0 }
        return stats
    }
}

/// The metadata written beside each sentence, rendered as JSON fragments once.
struct OutputColumns: @unchecked Sendable {
    let names: [String]
    let cellNames: [String]
    let fragments: [[UInt8]]  // per column, prefix `,"name":`
    let values: [(Int) -> [UInt8]]

    init(source: ExpressionSource, plan: PreprocessingPlan, names: [String]) throws {
        self.names = names
        cellNames = source.obs.index
        fragments = names.map { name in
            var b: [UInt8] = [44]
            JSONText.appendString(name, to: &b)
            b.append(58)
            return b
        }
        values = names.map { name -> (Int) -> [UInt8] in
            if let column = source.obs.column(name) {
                return OutputColumns.renderer(column.values)
            }
            let qc = plan.qc
            switch name {
            case "n_genes_by_counts": return { Array(JSONText.number(Double(qc.nGenes[$0])).utf8) }
            case "total_counts": return { Array(JSONText.number(qc.totalCounts[$0]).utf8) }
            default: return { Array(JSONText.number(Double(qc.percentMito[$0])).utf8) }
            }
        }
    }

    static func renderer(_ values: ColumnValues) -> (Int) -> [UInt8] {
        switch values {
        case .strings, .categorical:
            // Categories are rendered once; strings on demand.
            if case .categorical(let codes, let cats) = values {
                let rendered = cats.map { c -> [UInt8] in var b: [UInt8] = []; JSONText.appendString(c, to: &b); return b }
                let null = Array("null".utf8)
                return { i in let c = Int(codes[i]); return c >= 0 && c < rendered.count ? rendered[c] : null }
            }
            return { i in var b: [UInt8] = []; JSONText.appendString(values.text(at: i) ?? "", to: &b); return b }
        case .integers(let v): return { Array(String(v[$0]).utf8) }
        case .reals(let v): return { Array(JSONText.number(v[$0]).utf8) }
        case .bools(let v): return { Array((v[$0] ? "true" : "false").utf8) }
        }
    }

    func cellName(_ row: Int) -> String { row < cellNames.count ? cellNames[row] : "cell_\(row)" }

    func append(row: Int, to bytes: inout [UInt8]) {
        for c in 0..<names.count {
            bytes.append(contentsOf: fragments[c])
            bytes.append(contentsOf: values[c](row))
        }
    }
}

/// SHA-256 of the input computed on a background thread.
final class ChecksumTask: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<String, Error> = .success("")

    init(_ path: String) {
        group.enter()
        DispatchQueue.global(qos: .utility).async {
            self.result = Result { try FileChecksum.sha256(path) }
            self.group.leave()
        }
    }

    func wait() throws -> String {
        group.wait()
        return try result.get()
    }
}

/// Tool identity written into outputs.
public enum C2SInfo {
    public static let version = "0.1.0"
}
