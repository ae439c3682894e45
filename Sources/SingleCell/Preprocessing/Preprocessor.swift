import Foundation
import Mechanics

/// How many cells and genes each step kept and dropped.
public struct PreprocessingCounts: Equatable, Sendable, Codable {
    public var cellsIn = 0
    public var cellsDroppedMinGenes = 0
    public var cellsDroppedMinCounts = 0
    public var cellsDroppedMaxCounts = 0
    public var cellsDroppedMaxGenes = 0
    public var cellsDroppedMito = 0
    public var cellsKept = 0
    public var genesIn = 0
    public var genesDroppedMinCells = 0
    public var genesKept = 0

    enum CodingKeys: String, CodingKey {
        case cellsIn = "cells_in", cellsDroppedMinGenes = "cells_dropped_min_genes"
        case cellsDroppedMinCounts = "cells_dropped_min_counts", cellsDroppedMaxCounts = "cells_dropped_max_counts"
        case cellsDroppedMaxGenes = "cells_dropped_max_genes", cellsDroppedMito = "cells_dropped_max_pct_mito"
        case cellsKept = "cells_kept", genesIn = "genes_in", genesDroppedMinCells = "genes_dropped_min_cells"
        case genesKept = "genes_kept"
    }
}

/// Per-cell quality metrics as scanpy's `calculate_qc_metrics` reports them, computed over the
/// genes kept by the gene filter. NaN for cells dropped before QC; empty arrays when neither
/// the options nor the caller needed them (no QC limit, no median target, `computeQC` false),
/// so that a plain conversion holds no 16 bytes per cell for them.
public struct CellQC: Sendable {
    public var nGenes: [Float]
    public var totalCounts: [Double]
    public var percentMito: [Float]
}

/// The outcome of the filtering passes: which cells and genes survive and how each kept cell
/// is scaled. Applying it to blocks of the source yields the normalised, log-transformed matrix.
public struct PreprocessingPlan: Sendable {
    public let options: PreprocessingOptions
    /// Original indices of the kept cells, ascending (made from `cellKept` on each use: a
    /// conversion streams over `cellKept` instead of holding 8 bytes per kept cell).
    public var keptCells: [Int] { cellKept.indices.filter { cellKept[$0] } }
    /// Original indices of the kept genes, ascending.
    public let keptGenes: [Int]
    /// For each original gene, its column among the kept genes, or -1.
    public let geneMap: [Int32]
    /// For each original cell, whether it is kept.
    public let cellKept: [Bool]
    /// The total every kept cell is scaled to (nil when not normalising).
    public let targetSumUsed: Double?
    public let counts: PreprocessingCounts
    public let qc: CellQC
    /// How many times the input was read to build this plan.
    public let passes: Int
    public let logScale: Double

    /// Normalises and log-transforms the kept rows of `block`: the result holds only kept cells
    /// (in order) and kept genes (renumbered), and only values > 0. `rows` receives the original
    /// index of each output row. With `normalize: false` the values are left as they are stored
    /// (filtering only), which is all ranking needs: normalisation and log are increasing
    /// within a cell, so they never change a cell's order of genes.
    ///
    /// The arithmetic follows scanpy's float32 path: the cell total divided by the target sum is
    /// rounded to float32, each value is divided by it in float32, `log1p` is taken in float32
    /// and divided by `ln(base)` in double before rounding back to float32.
    public func apply(to block: CSRRows, threads: Int = Parallel.defaultThreads, normalize: Bool = true) -> (matrix: CSRRows, rows: [Int]) {
        var rows: [Int] = []
        for r in 0..<block.rowCount where cellKept[block.firstRow + r] { rows.append(r) }
        let parts = Parallel.ranges(rows.count, parts: threads)
        var pieces = [(indptr: [Int], indices: [Int32], values: [Float])](repeating: ([], [], []), count: parts.count)
        let target = normalize ? targetSumUsed : nil
        let logScale = self.logScale
        let doLog = normalize && options.log != .none
        pieces.withUnsafeMutableBufferPointer { out in
            let outP = SendablePointer(out.baseAddress!)
            let rowsU = UncheckedSendable(rows)
            let blockU = UncheckedSendable(block)
            let mapU = UncheckedSendable(geneMap)
            Parallel.forEach(parts) { p, range in
                let block = blockU.value, geneMap = mapU.value
                var indptr = [0], indices: [Int32] = [], values: [Float] = []
                indices.reserveCapacity(block.storedCount / max(1, parts.count))
                values.reserveCapacity(block.storedCount / max(1, parts.count))
                for k in range {
                    let r = rowsU.value[k]
                    let range = block.range(ofRow: r)
                    var divisor: Float = 1
                    if let target {
                        var total = 0.0
                        for e in range where geneMap[Int(block.indices[e])] >= 0 { total += Double(block.values[e]) }
                        divisor = Self.divisor(total: total, target: target)
                    }
                    for e in range {
                        let v = block.values[e]
                        let g = geneMap[Int(block.indices[e])]
                        guard v > 0, g >= 0 else { continue }
                        indices.append(g)
                        values.append(Self.transform(v, divisor: divisor, logScale: doLog ? logScale : nil))
                    }
                    indptr.append(indices.count)
                }
                outP[p] = (indptr, indices, values)
            }
        }
        return Self.concatenate(pieces, firstRow: rows.first.map { block.firstRow + $0 } ?? block.firstRow, rows: rows.map { block.firstRow + $0 })
    }

    /// What scanpy divides a cell's values by: its total over the target, in float32. An
    /// all-zero cell is left as it is rather than divided by zero.
    @inlinable
    public static func divisor(total: Double, target: Double) -> Float {
        total > 0 ? Float(total) / Float(target) : 1
    }

    /// One value normalised by `divisor` and, when `logScale` is given, log-transformed.
    @inlinable
    public static func transform(_ v: Float, divisor: Float, logScale: Double?) -> Float {
        let x = v / divisor
        guard let logScale else { return x }
        return Float(Double(Foundation.log1p(x)) * logScale)
    }

    /// Normalises one filtered row (kept genes only, as `apply(normalize: false)` returns it)
    /// in place, exactly as `apply` would have.
    public func normalize(row values: UnsafeMutableBufferPointer<Float>) {
        guard let target = targetSumUsed else {
            if options.log != .none { for i in values.indices { values[i] = Self.transform(values[i], divisor: 1, logScale: logScale) } }
            return
        }
        var total = 0.0
        for v in values { total += Double(v) }
        let d = Self.divisor(total: total, target: target)
        let scale: Double? = options.log != .none ? logScale : nil
        for i in values.indices { values[i] = Self.transform(values[i], divisor: d, logScale: scale) }
    }

    static func concatenate(_ pieces: [(indptr: [Int], indices: [Int32], values: [Float])], firstRow: Int, rows: [Int]) -> (matrix: CSRRows, rows: [Int]) {
        var result = CSRRows(firstRow: firstRow, indptr: [0], indices: [], values: [])
        for piece in pieces {
            let base = result.indices.count
            result.indptr.append(contentsOf: piece.indptr.dropFirst().map { $0 + base })
            result.indices.append(contentsOf: piece.indices)
            result.values.append(contentsOf: piece.values)
        }
        return (result, rows)
    }
}

/// Computes a `PreprocessingPlan` by streaming over the source as few times as the options allow.
public enum Preprocessor {
    /// Reads `source` and decides which cells and genes to keep.
    ///
    /// - Parameter columnTransform: applied to every block after reading (for example merging
    ///   duplicate genes); it must not change the number of rows.
    /// - Throws: `FileError` naming the first negative or non-finite value, `DataError` when a
    ///   filter removes every cell or gene.
    public static func plan(
        _ source: ExpressionSource,
        options: PreprocessingOptions,
        geneNames: [String]? = nil,
        threads: Int = Parallel.defaultThreads,
        blockSize: Int = 4096,
        columnTransform: ((CSRRows) throws -> CSRRows)? = nil,
        computeQC: Bool = false,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> PreprocessingPlan {
        let nCells = source.cellCount
        let names = geneNames ?? source.geneNames
        let nGenes = names.count
        let prefix = options.mitoPrefix.uppercased()
        let isMito = names.map { !prefix.isEmpty && $0.uppercased().hasPrefix(prefix) }
        var counts = PreprocessingCounts()
        counts.cellsIn = nCells
        counts.genesIn = nGenes

        let filterGenes = options.minCells > 0
        let needTotals = options.hasQCLimits || options.targetSum == .median || computeQC
        let needPassA = options.minGenes > 0 || filterGenes || needTotals
        var passes = 0

        var keepA = [Bool](repeating: true, count: nCells)
        let qcCells = needTotals ? nCells : 0
        var qcGenes = [Float](repeating: .nan, count: qcCells)
        var qcTotal = [Double](repeating: .nan, count: qcCells)
        var qcMito = [Float](repeating: .nan, count: qcCells)
        var geneMap = (0..<nGenes).map { Int32($0) }
        let allGenes = [Int32](repeating: 0, count: nGenes)

        // Pass A: genes per cell over all genes (filter_cells), then cells per gene over the
        // cells that pass (filter_genes). When no gene filter applies, the QC totals come too.
        if needPassA {
            passes += 1
            var geneCells = [Int](repeating: 0, count: nGenes)
            try scan(source, geneNames: names, geneMap: allGenes, isMito: isMito, threads: threads, blockSize: blockSize,
                     columnTransform: columnTransform, countGenesFor: options.minGenes,
                     geneCells: &geneCells, progress: progress.map { p in { p($0, passesPlanned(options, computeQC: computeQC)) } }
            ) { row, nExpressed, total, mito in
                keepA[row] = nExpressed >= options.minGenes
                if !filterGenes && needTotals {
                    qcGenes[row] = Float(nExpressed)
                    qcTotal[row] = total
                    qcMito[row] = Float(total > 0 ? mito / total * 100 : .nan)
                }
            }
            counts.cellsDroppedMinGenes = keepA.lazy.filter { !$0 }.count
            if filterGenes {
                var next: Int32 = 0
                for g in 0..<nGenes {
                    if geneCells[g] >= options.minCells { geneMap[g] = next; next += 1 } else { geneMap[g] = -1 }
                }
                counts.genesDroppedMinCells = nGenes - Int(next)
            }
        }
        counts.genesKept = counts.genesIn - counts.genesDroppedMinCells
        guard counts.genesKept > 0 else {
            throw DataError("no gene is expressed in at least \(options.minCells) cells (--min-cells); nothing to convert")
        }

        // Pass B: QC metrics over the kept genes, needed when genes were dropped.
        if needTotals && filterGenes {
            passes += 1
            var unused = [Int]()
            try scan(source, geneNames: names, geneMap: geneMap, isMito: isMito, threads: threads, blockSize: blockSize,
                     columnTransform: columnTransform, countGenesFor: nil, geneCells: &unused,
                     progress: progress.map { p in { p($0 + nCells, passesPlanned(options, computeQC: computeQC)) } }
            ) { row, nExpressed, total, mito in
                guard keepA[row] else { return }
                qcGenes[row] = Float(nExpressed)
                qcTotal[row] = total
                qcMito[row] = Float(total > 0 ? mito / total * 100 : .nan)
            }
        }

        // QC limits, in a fixed order so the counts of dropped cells are well defined.
        var kept = keepA
        for i in 0..<nCells where kept[i] && needTotals {
            if let v = options.minCounts, !(qcTotal[i] >= v) { kept[i] = false; counts.cellsDroppedMinCounts += 1; continue }
            if let v = options.maxCounts, !(qcTotal[i] <= v) { kept[i] = false; counts.cellsDroppedMaxCounts += 1; continue }
            if let v = options.maxGenes, !(Int(qcGenes[i]) <= v) { kept[i] = false; counts.cellsDroppedMaxGenes += 1; continue }
            if let v = options.maxPercentMito, !(Double(qcMito[i]) <= v) { kept[i] = false; counts.cellsDroppedMito += 1; continue }
        }
        counts.cellsKept = kept.lazy.filter { $0 }.count
        guard counts.cellsKept > 0 || nCells == 0 else {
            throw DataError("every cell was removed by the filters (\(describeDrops(counts))); loosen --min-genes or the QC limits")
        }

        var target: Double?
        switch options.targetSum {
        case .fixed(let v): target = v
        case .none: target = nil
        case .median:
            // scanpy: the median over cells with a non-zero total.
            let totals = (0..<nCells).lazy.filter { kept[$0] && qcTotal[$0] > 0 }.map { qcTotal[$0] }.sorted()
            if totals.isEmpty { target = 1 } else {
                let m = totals.count / 2
                target = totals.count % 2 == 1 ? totals[m] : (totals[m - 1] + totals[m]) / 2
            }
        }
        let keptGenes = (0..<nGenes).filter { geneMap[$0] >= 0 }
        return PreprocessingPlan(
            options: options, keptGenes: keptGenes, geneMap: geneMap, cellKept: kept,
            targetSumUsed: target, counts: counts,
            qc: CellQC(nGenes: qcGenes, totalCounts: qcTotal, percentMito: qcMito),
            passes: passes, logScale: options.log.scale)
    }

    /// Number of reading passes the options need before conversion (for progress display).
    public static func passesPlanned(_ options: PreprocessingOptions, computeQC: Bool = false) -> Int {
        let needTotals = options.hasQCLimits || options.targetSum == .median || computeQC
        let a = options.minGenes > 0 || options.minCells > 0 || needTotals
        let b = needTotals && options.minCells > 0
        return (a ? 1 : 0) + (b ? 1 : 0)
    }

    static func describeDrops(_ c: PreprocessingCounts) -> String {
        var parts: [String] = []
        if c.cellsDroppedMinGenes > 0 { parts.append("\(c.cellsDroppedMinGenes) by --min-genes") }
        if c.cellsDroppedMinCounts > 0 { parts.append("\(c.cellsDroppedMinCounts) by --min-counts") }
        if c.cellsDroppedMaxCounts > 0 { parts.append("\(c.cellsDroppedMaxCounts) by --max-counts") }
        if c.cellsDroppedMaxGenes > 0 { parts.append("\(c.cellsDroppedMaxGenes) by --max-genes") }
        if c.cellsDroppedMito > 0 { parts.append("\(c.cellsDroppedMito) by --max-pct-mito") }
        return parts.isEmpty ? "none dropped" : parts.joined(separator: ", ")
    }

    /// Checks that every stored value of `block` is finite and non-negative. `geneNames` are
    /// the names of the block's columns (after any renaming or merging), for the message.
    public static func validate(_ block: CSRRows, source: ExpressionSource, geneNames: [String]? = nil) throws {
        for r in 0..<block.rowCount {
            for k in block.range(ofRow: r) where !(block.values[k] >= 0) || !block.values[k].isFinite {
                throw badValue(block, row: r, entry: k, source: source, geneNames: geneNames ?? source.geneNames)
            }
        }
    }

    static func badValue(_ block: CSRRows, row r: Int, entry: Int, source: ExpressionSource, geneNames: [String]) -> FileError {
        let v = block.values[entry]
        let row = block.firstRow + r
        // One name read from the source (its obs may be on disk).
        let name = row < source.cellCount ? (try? source.readObs(row..<(row + 1), columns: []))?.index.first : nil
        let cell = name ?? "#\(row)"
        let gene = Int(block.indices[entry])
        let geneName = gene < geneNames.count ? geneNames[gene] : "#\(gene)"
        let what = v.isNaN ? "NaN" : (v.isInfinite ? "infinite" : "negative (\(v))")
        return FileError(source.path, "cell '\(cell)' (row \(row + 1)), gene '\(geneName)': value is \(what); c2s needs non-negative, finite counts or normalised values (scaled or centred data cannot be ranked; use --layer or --raw to pick the counts)")
    }

    /// Streams over the source computing, per row, the number of expressed kept genes, the total
    /// and the mitochondrial total over kept genes; optionally counts cells per gene for rows
    /// with at least `countGenesFor` expressed genes. Validates every value.
    static func scan(
        _ source: ExpressionSource, geneNames: [String], geneMap: [Int32], isMito: [Bool], threads: Int, blockSize: Int,
        columnTransform: ((CSRRows) throws -> CSRRows)?, countGenesFor: Int?, geneCells: inout [Int],
        progress: ((Int) -> Void)?,
        _ perRow: (Int, Int, Double, Double) -> Void
    ) throws {
        let nGenes = geneMap.count
        try BlockStream(source, blockSize: blockSize).forEach(transform: columnTransform) { block in
            let n = block.rowCount
            var nExpressed = [Int](repeating: 0, count: n)
            var totals = [Double](repeating: 0, count: n)
            var mitos = [Double](repeating: 0, count: n)
            let parts = Parallel.ranges(n, parts: threads)
            var partCells = [[Int32]](repeating: [], count: parts.count)
            var bad = [(row: Int, entry: Int)?](repeating: nil, count: parts.count)
            let blockU = UncheckedSendable(block), mapU = UncheckedSendable(geneMap), mitoU = UncheckedSendable(isMito)
            let countFor = countGenesFor
            nExpressed.withUnsafeMutableBufferPointer { ne in
            totals.withUnsafeMutableBufferPointer { tt in
            mitos.withUnsafeMutableBufferPointer { mm in
            partCells.withUnsafeMutableBufferPointer { pc in
            bad.withUnsafeMutableBufferPointer { bb in
                let neP = SendablePointer(ne.baseAddress!), ttP = SendablePointer(tt.baseAddress!)
                let mmP = SendablePointer(mm.baseAddress!), pcP = SendablePointer(pc.baseAddress!), bbP = SendablePointer(bb.baseAddress!)
                Parallel.forEach(parts) { p, range in
                    let block = blockU.value, geneMap = mapU.value, isMito = mitoU.value
                    var cells = countFor != nil ? [Int32](repeating: 0, count: nGenes) : []
                    for r in range {
                        var e = 0, t = 0.0, m = 0.0
                        for k in block.range(ofRow: r) {
                            let v = block.values[k]
                            if !(v >= 0) || !v.isFinite { bbP[p] = (r, k); return }
                            let g = Int(block.indices[k])
                            guard geneMap[g] >= 0, v > 0 else { continue }
                            e += 1
                            t += Double(v)
                            if isMito[g] { m += Double(v) }
                        }
                        neP[r] = e; ttP[r] = t; mmP[r] = m
                        if let c = countFor, e >= c {
                            for k in block.range(ofRow: r) where block.values[k] > 0 { cells[Int(block.indices[k])] += 1 }
                        }
                    }
                    pcP[p] = cells
                }
            }}}}}
            if let b = bad.compactMap({ $0 }).first {
                throw badValue(block, row: b.row, entry: b.entry, source: source, geneNames: geneNames)
            }
            if countGenesFor != nil {
                for cells in partCells {
                    for g in 0..<nGenes { geneCells[g] += Int(cells[g]) }
                }
            }
            for r in 0..<n { perRow(block.firstRow + r, nExpressed[r], totals[r], mitos[r]) }
            progress?(block.firstRow + n)
        }
    }
}
