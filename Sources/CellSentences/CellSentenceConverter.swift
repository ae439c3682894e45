import Foundation
import Mechanics
import SingleCell

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

        // The cell names are read in blocks (hashed, then the shared hashes checked): no
        // dictionary over every name.
        var renamed = RenamedCells()
        if options.duplicateCellNames != .keep {
            let repeats = try RepeatedCellNames(source, blockSize: options.blockSize, makeUnique: options.duplicateCellNames == .makeUnique)
            if let dup = repeats.firstRepeat {
                guard options.duplicateCellNames == .makeUnique else {
                    throw FileError(source.path, "cell names are not unique: '\(dup.name)' appears \(dup.count) times (\(dup.repeated) names repeat); splits, pairs and results are keyed by cell name: pass --make-names-unique to rename repeats name-1, name-2, ... as anndata's obs_names_make_unique does")
                }
                renamed = RenamedCells(rows: repeats.renamedRows, names: repeats.renamedNames)
            }
        }
        let renamedCells = renamed.rows.count
        let groups = try options.fit?.groupColumn.map { try GroupLabelColumn(source, column: $0, blockSize: options.blockSize) }
        let schema = source.obsSchema
        for name in options.obsColumns where schema.column(name) == nil && !qcColumns.contains(name) {
            // Of several files, name the one that lacks the column (or has it of another kind).
            if let multi = source as? ConcatenatedSource, let part = multi.parts.first(where: { $0.obsSchema.column(name) == nil }) ?? multi.parts.first {
                throw FileError(part.path, "obs has no column '\(name)'\(part.obsSchema.column(name) == nil ? "" : " of the same kind as in the other input files"); a column is kept only when every input file has it")
            }
            let available = schema.columnNames + qcColumns
            throw FileError(source.path, "obs has no column '\(name)'; available: \(available.joined(separator: ", "))")
        }
        // The files read: one, or the parts of an input made of several.
        let files = (source as? ConcatenatedSource)?.parts.map(\.path) ?? [source.path]
        // A sentence dataset is recognised by its manifest.
        let out = try AtomicOutput(output, folder: true, overwrite: options.overwrite, inputs: files,
                                   isOwnOutput: { FileManager.default.fileExists(atPath: $0 + "/manifest.json") })

        // The checksum runs beside the conversion; it reads the file independently.
        let checksum = options.checksum ? ChecksumTask(files) : nil
        // On an error the hash must still finish before we return: exiting while it runs lets
        // OpenSSL's exit handler free state the hashing thread is using (a crash at exit).
        defer { _ = try? checksum?.wait() }

        let computeQC = options.obsColumns.contains { qcColumns.contains($0) && schema.column($0) == nil }
        let passes = Preprocessor.passesPlanned(options.preprocessing, computeQC: computeQC)
        let plan = try Preprocessor.plan(
            source, options: options.preprocessing, geneNames: naming.names, threads: options.threads,
            blockSize: options.blockSize, columnTransform: transform, computeQC: computeQC,
            progress: progress.map { p in { done, _ in p("filtering", done, source.cellCount * passes) } })

        let geneNames = plan.keptGenes.map { naming.names[$0] }
        let planned = try options.fit.map { try InverseTransform.plannedRows(cellKept: plan.cellKept, keptCount: plan.counts.cellsKept, groups: groups, settings: $0) }
        let collector = planned.map { FitValueCollector(cellCount: source.cellCount, rows: $0.global + $0.byGroup.flatMap(\.1)) }
        let writer = try BufferedFileWriter(out.path("cells.jsonl"), displayPath: output + "/cells.jsonl")
        let stats = try writeSentences(source, plan: plan, geneNames: geneNames, columnNames: naming.names, options: options,
                                       transform: transform, writer: writer, collector: collector, progress: progress, renamed: renamed)
        try writer.close()
        var fit: InverseTransformFit?
        if let settings = options.fit, let planned, let collector, plan.counts.cellsKept > 0 {
            fit = InverseTransform.fit(settings: settings, values: collector.values, global: planned.global, byGroup: planned.byGroup)
        }

        let vocab = GeneVocabularyFile(genes: geneNames, cells: stats.geneCells)
        let vocabWriter = try BufferedFileWriter(out.path(GeneVocabularyFile.fileName), displayPath: output + "/" + GeneVocabularyFile.fileName)
        try vocabWriter.write(vocab.text)
        try vocabWriter.close()

        let shas = try checksum?.wait() ?? files.map { _ in "" }
        let bytes = files.map { ((try? FileManager.default.attributesOfItem(atPath: $0))?[.size] as? NSNumber)?.int64Value ?? 0 }
        // One file: its checksum is the input's. Several: each has its own, listed in order.
        let parts = (source as? ConcatenatedSource).map { multi in
            multi.parts.enumerated().map { i, part in
                DatasetManifest.Part(path: part.path, absolutePath: URL(fileURLWithPath: part.path).standardizedFileURL.path,
                                     sha256: shas[i], bytes: bytes[i], cells: part.cellCount)
            }
        }
        let kept = max(1, plan.counts.cellsKept)
        var warnings = source.warnings + naming.warnings
        if plan.counts.cellsKept == 0 { warnings.append("no cells left after filtering") }
        if renamedCells > 0 { warnings.append("\(renamedCells) repeated cell name(s) were made unique (name-1, name-2, ...)") }
        let organism = options.organism ?? naming.style.organism
        if organism == nil {
            warnings.append("\(source.path): cannot tell the organism from the gene names (\(naming.style.description)); prompts will say Homo sapiens unless you give --organism")
        }
        if let f = fit, !f.model.isUsable {
            warnings.append("too few expressed genes in the sampled cells to fit the inverse transform (\(f.quality.fitPoints) points); reconstruction needs a fit")
        }
        let manifest = DatasetManifest(
            tool: "c2s", toolVersion: C2SVersion.string, created: ISO8601DateFormatter().string(from: Date()),
            input: .init(path: source.path, absolutePath: URL(fileURLWithPath: source.path).standardizedFileURL.path,
                         format: options.formatName, matrix: options.matrixLabel, sha256: parts == nil ? shas[0] : "",
                         bytes: bytes.reduce(0, +),
                         cells: source.cellCount, genes: source.geneCount,
                         geneColumn: options.geneColumn, genesAsRows: options.genesAsRows, parts: parts),
            preprocessing: options.preprocessing, targetSumUsed: plan.targetSumUsed, counts: plan.counts,
            sentences: .init(seed: options.seed,
                             tieBreak: options.tieOrder,
                             upperCase: naming.upperCased, onDuplicate: options.naming.policy.rawValue,
                             geneNameClashes: naming.clashes, delimiter: " ",
                             meanLength: Double(stats.totalLength) / Double(kept),
                             minLength: stats.minLength, maxLength: stats.maxLength, geneNameStyle: naming.style),
            obsColumns: options.obsColumns,
            files: ["cells": "cells.jsonl", "vocabulary": "vocab.tsv"],
            warnings: warnings, seconds: Date().timeIntervalSince(started), inverseTransform: fit,
            organism: organism, organismSource: organism == nil ? nil : options.organism != nil ? "given" : "detected from gene names")
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
        _ source: ExpressionSource, plan: PreprocessingPlan, geneNames: [String], columnNames: [String], options: ConversionOptions,
        transform: ((CSRRows) throws -> CSRRows)?, writer: BufferedFileWriter, collector: FitValueCollector?, progress: ConversionProgress?,
        renamed: RenamedCells = RenamedCells()
    ) throws -> SentenceStats {
        let nGenes = geneNames.count
        let threads = max(1, options.threads)
        let genes = PackedStrings(geneNames.map { JSONText.escapedBody($0) })
        let layout = OutputColumns.Layout(schema: source.obsSchema, names: options.obsColumns)
        let rank = RankTransform(seed: options.seed)
        // Per-worker state kept across blocks: gene counters, output buffer, sort scratch.
        let counters = (0..<threads).map { _ in UnsafeMutablePointer<Int>.allocate(capacity: max(1, nGenes)) }
        counters.forEach { $0.initialize(repeating: 0, count: max(1, nGenes)) }
        defer { counters.forEach { $0.deallocate() } }
        // Two sets of per-worker output buffers: workers fill one while a writer thread writes
        // the other, so file writing overlaps with ranking.
        let bufferSets = (0..<2).map { _ in (0..<threads).map { _ in ByteBuffer(capacity: 1 << 20) } }
        let writes = [DispatchGroup(), DispatchGroup()]
        let writerQueue = DispatchQueue(label: "c2s.sentence-writer")
        let writeFailure = FailureBox()
        let scratches = (0..<threads).map { _ in RankTransform.Scratch() }
        var stats = SentenceStats(geneCells: [Int](repeating: 0, count: nGenes))
        let needsValidation = plan.passes == 0
        var blockNumber = 0
        let referenceStream = options.tieOrder == .reference ? StreamBox(MT19937(seed: UInt32(truncatingIfNeeded: options.seed))) : nil
        var permutations: [Int32] = []
        let writerU = UncheckedSendable(writer)

        // Each block's obs (names and the columns written) is read beside its rows.
        let obsNames = layout.obsNames
        try BlockStream(source, blockSize: options.blockSize).forEach(transform: transform, alongside: { range in
            try source.readObs(range, columns: obsNames)
        }) { block, obs in
            let columns = OutputColumns(layout: layout, obs: obs, rows: block.firstRow..<(block.firstRow + block.rowCount), plan: plan, renamed: renamed)
            if needsValidation { try Preprocessor.validate(block, source: source, geneNames: columnNames) }
            let set = blockNumber % 2
            blockNumber += 1
            writes[set].wait()
            if let error = writeFailure.error { throw error }
            let buffers = bufferSets[set]
            let (matrix, rows) = plan.apply(to: block, threads: threads, normalize: false)
            collector?.collect(matrix, rows: rows, plan: plan)
            if let stream = referenceStream {
                // The reference's stream runs through the cells in order: draw every row's
                // shuffle here, sequentially; the workers then only sort.
                permutations.removeAll(keepingCapacity: true)
                permutations.reserveCapacity(matrix.storedCount)
                permutations.append(contentsOf: repeatElement(0, count: matrix.storedCount))
                permutations.withUnsafeMutableBufferPointer { pb in
                    for r in 0..<matrix.rowCount {
                        let range = matrix.range(ofRow: r)
                        stream.value.permutation(range.count, into: pb.baseAddress! + range.lowerBound)
                    }
                }
            }
            let parts = Parallel.ranges(rows.count, parts: threads)
            var lengths = [(total: Int, min: Int, max: Int)](repeating: (0, Int.max, 0), count: parts.count)
            let shared = UncheckedSendable((matrix, rows, genes, columns, scratches, buffers, counters, permutations))
            let useReference = referenceStream != nil
            lengths.withUnsafeMutableBufferPointer { lb in
                let lP = SendablePointer(lb.baseAddress!)
                Parallel.forEach(parts) { p, range in
                    let (matrix, rows, genes, columns, scratches, buffers, counters, permutations) = shared.value
                    lP[p] = writeLines(matrix: matrix, rows: rows, range: range, genes: genes, columns: columns,
                                       rank: rank, permutations: useReference ? permutations : nil,
                                       scratch: scratches[p], out: buffers[p], counts: counters[p])
                }
            }
            for p in 0..<parts.count {
                stats.totalLength += lengths[p].total
                stats.minLength = min(stats.minLength, lengths[p].min)
                stats.maxLength = max(stats.maxLength, lengths[p].max)
            }
            writes[set].enter()
            let used = UncheckedSendable(Array(buffers.prefix(parts.count)))
            writerQueue.async {
                do {
                    for b in used.value {
                        try writerU.value.write(b.bytes)
                        b.removeAll()
                    }
                } catch {
                    writeFailure.error = error
                }
                writes[set].leave()
            }
            progress?("writing sentences", block.firstRow + block.rowCount, source.cellCount)
        }
        writes.forEach { $0.wait() }
        if let error = writeFailure.error { throw error }
        for c in counters { for g in 0..<nGenes { stats.geneCells[g] += c[g] } }
        if stats.minLength == Int.max { stats.minLength = 0 }
        return stats
    }

    /// Ranks and renders the rows `range` of a normalised block as JSON lines into `out`: the
    /// lines of `cells.jsonl`, which `CellTable.load` reads back.
    static func writeLines(
        matrix: CSRRows, rows: [Int], range: Range<Int>, genes: PackedStrings, columns: OutputColumns,
        rank: RankTransform, permutations: [Int32]?, scratch: RankTransform.Scratch, out: ByteBuffer, counts: UnsafeMutablePointer<Int>
    ) -> (total: Int, min: Int, max: Int) {
        var stats = (total: 0, min: Int.max, max: 0)
        let widest = matrix.indptr.indices.dropFirst().map { matrix.indptr[$0] - matrix.indptr[$0 - 1] }.max() ?? 0
        let order = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, widest))
        defer { order.deallocate() }
        matrix.values.withUnsafeBufferPointer { values in
        matrix.indices.withUnsafeBufferPointer { indices in
        genes.bytes.withUnsafeBufferPointer { geneBytes in
        genes.offsets.withUnsafeBufferPointer { offsets in
            for r in range {
                let lo = matrix.indptr[r], hi = matrix.indptr[r + 1]
                let n: Int
                if let permutations {
                    n = permutations.withUnsafeBufferPointer {
                        rank.order(values: values.baseAddress! + lo, count: hi - lo, permutation: $0.baseAddress! + lo, scratch: scratch, into: order)
                    }
                } else {
                    n = rank.order(cell: rows[r], values: values.baseAddress! + lo, count: hi - lo, scratch: scratch, into: order)
                }
                out.append(#"{"cell_name":"#)
                columns.appendCellName(rows[r], to: out)
                out.append(#","cell_sentence":""#)
                out.reserve(n * (genes.maxLength + 1) + 34)
                for k in 0..<n {
                    let g = Int(indices[lo + Int(order[k])])
                    if k > 0 { out.appendUnchecked(32) }
                    let start = offsets[g]
                    PackedStrings.appendShort(geneBytes.baseAddress!, start, offsets[g + 1] - start, to: out)
                    counts[g] += 1
                }
                out.appendUnchecked(34)
                columns.append(row: rows[r], to: out)
                out.append("}\n")
                stats.total += n
                stats.min = min(stats.min, n)
                stats.max = max(stats.max, n)
            }
        }}}}
        return stats
    }
}
