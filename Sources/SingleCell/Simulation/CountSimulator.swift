import Dispatch
import Foundation
import Mechanics

/// Simulates a labelled single-cell RNA-seq count matrix that looks like droplet data (PBMC-like
/// cell types by default), for tests, demos and benchmarks.
///
/// The model, per cell `c` and gene `g`: counts are negative binomial with mean
/// `L_c * share * p_{type(c), batch(c), g}` and gene-wise dispersion, where
/// - `p` are gene proportions: log-normal base expression (many lowly expressed genes), times the
///   cell type's own marker programme (fold changes 4-20x) and a few programmes shared between
///   related types (T cell, myeloid, cytotoxic), times a mild per-gene batch effect;
/// - `L_c` is a log-normal library size (mean `meanLibrarySize` UMIs) with a per-type factor and
///   a mild shift in the second batch;
/// - mitochondrial genes take a few percent of each cell's counts, except in damaged cells
///   (`damagedFraction`), which have 20-70 % mitochondrial counts and smaller libraries.
///
/// Generation is deterministic for a seed: every cell draws from its own random stream seeded
/// from (seed, cell index), so any block of cells is the same whichever way the cells are split
/// over threads or blocks.
public struct CountSimulator: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var cells: Int
        public var genes: Int
        public var cellTypes: Int
        public var seed: UInt64
        /// Mitochondrial genes (named MT-ND1, MT-CO1, ...; at most 13), placed last.
        public var mitoGenes: Int
        /// Genes in each cell type's own marker programme (fewer when genes are few).
        public var markersPerType: Int
        /// Mean total counts (UMIs) of a healthy cell.
        public var meanLibrarySize: Double
        /// Standard deviation of the natural log of the library size.
        public var librarySizeSpread: Double
        /// Fraction of damaged cells (high mitochondrial fraction, small library).
        public var damagedFraction: Double
        /// Batches (named batch1, batch2, ...).
        public var batches: Int
        /// Cells generated per block when writing.
        public var blockSize: Int

        public init(
            cells: Int = 2000, genes: Int = 2000, cellTypes: Int = 6, seed: UInt64 = 0,
            mitoGenes: Int = 13, markersPerType: Int = 40, meanLibrarySize: Double = 4000,
            librarySizeSpread: Double = 0.35, damagedFraction: Double = 0.03, batches: Int = 2,
            blockSize: Int = 8192
        ) {
            self.cells = cells
            self.genes = genes
            self.cellTypes = cellTypes
            self.seed = seed
            self.mitoGenes = mitoGenes
            self.markersPerType = markersPerType
            self.meanLibrarySize = meanLibrarySize
            self.librarySizeSpread = librarySizeSpread
            self.damagedFraction = damagedFraction
            self.batches = batches
            self.blockSize = blockSize
        }

        /// Largest numbers of cells, genes and cell types accepted.
        public static let maxCells = 100_000_000
        public static let maxGenes = 100_000
        public static let maxCellTypes = 100

        /// What is wrong with these parameters, in words; empty when they are usable.
        public var problems: [String] {
            var out: [String] = []
            if cells < 1 || cells > Self.maxCells { out.append("cells must be between 1 and \(Self.maxCells) (got \(cells))") }
            if cellTypes < 1 || cellTypes > Self.maxCellTypes { out.append("cell types must be between 1 and \(Self.maxCellTypes) (got \(cellTypes))") }
            if mitoGenes < 0 || mitoGenes > CountSimulator.mitoNames.count {
                out.append("mitochondrial genes must be between 0 and \(CountSimulator.mitoNames.count) (got \(mitoGenes))")
            }
            let minGenes = max(20, max(0, mitoGenes) + 2 * max(1, cellTypes) + 2)
            if genes < minGenes || genes > Self.maxGenes {
                out.append("genes must be between \(minGenes) and \(Self.maxGenes) for \(cellTypes) cell types (got \(genes))")
            }
            if markersPerType < 1 { out.append("markers per type must be at least 1 (got \(markersPerType))") }
            if !(meanLibrarySize >= 10 && meanLibrarySize <= 1e7) { out.append("mean library size must be between 10 and 1e7 (got \(meanLibrarySize))") }
            if !(librarySizeSpread >= 0 && librarySizeSpread <= 3) { out.append("library size spread must be between 0 and 3 (got \(librarySizeSpread))") }
            if !(damagedFraction >= 0 && damagedFraction <= 1) { out.append("damaged fraction must be between 0 and 1 (got \(damagedFraction))") }
            if batches < 1 || batches > 100 { out.append("batches must be between 1 and 100 (got \(batches))") }
            if blockSize < 1 { out.append("block size must be at least 1 (got \(blockSize))") }
            if out.isEmpty && cellTypes * batches * genes > 20_000_000 {
                out.append("cell types x batches x genes must be at most 20,000,000 (got \(cellTypes * batches * genes))")
            }
            return out
        }
    }

    /// The random choices made for one cell (cheap to recompute).
    public struct CellPlan: Sendable, Equatable {
        public var type: Int
        public var batch: Int
        public var damaged: Bool
        /// Expected total counts.
        public var librarySize: Double
        /// Expected fraction of counts from mitochondrial genes.
        public var mitoFraction: Double
    }

    public let parameters: Parameters
    public let cellTypeNames: [String]
    public let batchNames: [String]
    public let geneNames: [String]
    /// Gene indices of each cell type's own marker programme.
    public let markerGenes: [[Int]]
    /// Gene indices of the programmes shared between types, with the types that use them.
    public let sharedProgrammes: [(name: String, types: [Int], genes: [Int])]
    /// The mitochondrial genes (the last `mitoGenes` columns).
    public let mitoGenes: Range<Int>

    /// Per (type, batch): gene proportions; non-mitochondrial genes sum to 1, mitochondrial
    /// genes sum to 1 on their own.
    let proportions: [Double]
    /// Negative binomial size (1 / dispersion) per gene.
    let sizes: [Double]
    let typeCumulative: [Double]
    let typeLibraryFactor: [Double]
    let batchLibraryFactor: [Double]

    public init(_ p: Parameters) {
        precondition(p.problems.isEmpty, "invalid simulation parameters: \(p.problems.joined(separator: "; "))")
        parameters = p
        let genes = p.genes
        let nTypes = p.cellTypes
        var rng = Xoshiro256StarStar(seed: p.seed, stream: 0xFFFF_FFFF_0000_0001)

        // Cell types and their abundance (PBMC-like for the first six).
        cellTypeNames = (0..<nTypes).map { $0 < Self.typeNames.count ? Self.typeNames[$0] : "Type\($0 + 1)" }
        let weights = (0..<nTypes).map { $0 < Self.typeWeights.count ? Self.typeWeights[$0] : 0.05 }
        let total = weights.reduce(0, +)
        var cumulative: [Double] = []
        var acc = 0.0
        for w in weights { acc += w / total; cumulative.append(acc) }
        cumulative[nTypes - 1] = 1
        typeCumulative = cumulative
        typeLibraryFactor = (0..<nTypes).map { $0 < Self.typeLibrary.count ? Self.typeLibrary[$0] : Foundation.exp(0.15 * rng.gaussian()) }
        batchNames = (0..<p.batches).map { "batch\($0 + 1)" }
        batchLibraryFactor = (0..<p.batches).map { $0 == 0 ? 1 : Foundation.exp(-0.15 - 0.05 * Double($0 - 1)) }

        // Which gene does what: shared programmes, markers, background; mitochondrial last.
        let nonMito = genes - p.mitoGenes
        mitoGenes = nonMito..<genes
        let realNames = genes >= 100
        let programmes = Self.sharedDefinitions
            .map { (name: $0.name, types: $0.types.filter { $0 < nTypes }, names: $0.names) }
            .filter { !$0.types.isEmpty }
        let perShared = nonMito >= 400 ? 8 : nonMito / 50
        let sharedTotal = perShared * programmes.count
        let perType = min(p.markersPerType, max(1, (nonMito - sharedTotal) / (2 * nTypes)))

        var order = Array(0..<nonMito)
        for i in stride(from: nonMito - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        var next = 0
        func take(_ n: Int) -> [Int] {
            defer { next += n }
            return Array(order[next..<(next + n)])
        }
        var names = [String?](repeating: nil, count: genes)
        var logBase = [Double](repeating: 0, count: genes)
        var fold = [Double](repeating: 1, count: nTypes * genes)  // fold[type * genes + g]

        var shared: [(name: String, types: [Int], genes: [Int])] = []
        for prog in programmes {
            let members = take(perShared)
            for (i, g) in members.enumerated() {
                if realNames && i < prog.names.count { names[g] = prog.names[i] }
                logBase[g] = rng.gaussian(mean: -0.5, sd: 1.0)
                let f = Foundation.exp(Foundation.log(3.0) + rng.uniform() * Foundation.log(8.0 / 3.0))
                for t in prog.types { fold[t * genes + g] *= f }
            }
            shared.append((prog.name, prog.types, members.sorted()))
        }
        sharedProgrammes = shared
        var markers: [[Int]] = []
        for t in 0..<nTypes {
            let members = take(perType)
            // The first markers (which get the canonical names) are the strongest, as in real data.
            let bases = (0..<perType).map { _ in rng.gaussian(mean: -1.0, sd: 1.0) }.sorted(by: >)
            let folds = (0..<perType).map { _ in Foundation.exp(Foundation.log(4.0) + rng.uniform() * Foundation.log(5.0)) }.sorted(by: >)  // 4-20x
            for (i, g) in members.enumerated() {
                if realNames && t < Self.markerNames.count && i < Self.markerNames[t].count { names[g] = Self.markerNames[t][i] }
                logBase[g] = bases[i]
                fold[t * genes + g] *= folds[i]
            }
            markers.append(members.sorted())
        }
        markerGenes = markers
        let background = Array(order[next...])
        for g in background { logBase[g] = rng.gaussian(mean: 0, sd: 1.8) }
        if realNames {
            // The most expressed background genes get housekeeping names (ribosomal, MALAT1, ...).
            let top = background.sorted { logBase[$0] > logBase[$1] }.prefix(min(Self.housekeepingNames.count, background.count / 10))
            for (i, g) in top.enumerated() { names[g] = Self.housekeepingNames[i] }
        }
        for (i, g) in mitoGenes.enumerated() {
            names[g] = Self.mitoNames[i]
            logBase[g] = rng.gaussian(mean: 0, sd: 0.7)
        }
        let width = max(4, String(genes).count)
        geneNames = names.enumerated().map { g, name in
            if let name { return name }
            let digits = String(g + 1)
            return "GENE" + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }

        // A mild per-gene batch effect for batches after the first.
        var batchFactor = [Double](repeating: 1, count: p.batches * genes)
        for b in 1..<max(1, p.batches) {
            for g in 0..<genes { batchFactor[b * genes + g] = Foundation.exp(0.15 * rng.gaussian()) }
        }

        // Proportions per (type, batch).
        var props = [Double](repeating: 0, count: nTypes * p.batches * genes)
        var meanProportion = [Double](repeating: 0, count: genes)
        for t in 0..<nTypes {
            for b in 0..<p.batches {
                let base = (t * p.batches + b) * genes
                var sumNon = 0.0, sumMito = 0.0
                for g in 0..<genes {
                    let w = Foundation.exp(logBase[g]) * fold[t * genes + g] * batchFactor[b * genes + g]
                    props[base + g] = w
                    if g < nonMito { sumNon += w } else { sumMito += w }
                }
                for g in 0..<genes {
                    props[base + g] /= g < nonMito ? sumNon : sumMito
                    meanProportion[g] += props[base + g] / Double(nTypes * p.batches)
                }
            }
        }
        proportions = props
        // Gene-wise dispersion: log-normal around 0.25, higher for lowly expressed genes.
        sizes = (0..<genes).map { g in
            let expected = p.meanLibrarySize * meanProportion[g] * (g < nonMito ? 0.96 : 0.04)
            let phi = Foundation.exp(rng.gaussian(mean: Foundation.log(0.25), sd: 0.5)) * (1 + 1 / (expected + 0.01).squareRoot())
            return 1 / min(max(phi, 0.01), 20)
        }
    }

    /// The labels and library of cell `cell`; the same numbers `block` uses.
    public func plan(cell: Int) -> CellPlan {
        var rng = Xoshiro256StarStar(seed: parameters.seed, stream: UInt64(cell))
        return plan(&rng)
    }

    private func plan(_ rng: inout Xoshiro256StarStar) -> CellPlan {
        let u = rng.uniform()
        var type = 0
        while type < typeCumulative.count - 1 && u >= typeCumulative[type] { type += 1 }
        let batch = min(Int(rng.uniform() * Double(parameters.batches)), parameters.batches - 1)
        let damaged = rng.uniform() < parameters.damagedFraction
        let sd = parameters.librarySizeSpread
        var library = parameters.meanLibrarySize * typeLibraryFactor[type] * batchLibraryFactor[batch]
            * Foundation.exp(sd * rng.gaussian() - sd * sd / 2)
        var mito: Double
        if parameters.mitoGenes == 0 {
            _ = rng.uniform()
            mito = 0
        } else if damaged {
            mito = 0.2 + 0.5 * rng.uniform()
            library *= 0.5
        } else {
            mito = min(0.15, 0.04 * Foundation.exp(0.35 * rng.gaussian()))
        }
        return CellPlan(type: type, batch: batch, damaged: damaged, librarySize: library, mitoFraction: mito)
    }

    /// Generates the counts of cells `range` (spread over `threads` threads; the result does not
    /// depend on how many).
    public func block(_ range: Range<Int>, threads: Int? = nil) -> CSRRows {
        precondition(range.lowerBound >= 0 && range.upperBound <= parameters.cells, "cells \(range) outside 0..<\(parameters.cells)")
        let n = range.count
        guard n > 0 else { return .empty(at: range.lowerBound) }
        let workers = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let pieces = min(n, workers == 1 ? 1 : workers * 4)
        var parts = [Part](repeating: Part(), count: pieces)
        let per = (n + pieces - 1) / pieces
        let simulator = self
        parts.withUnsafeMutableBufferPointer { buffer in
            let out = SendableParts(base: buffer.baseAddress!)
            let work: @Sendable (Int) -> Void = { i in
                let lo = range.lowerBound + i * per
                let hi = min(range.upperBound, lo + per)
                if lo < hi { out.base[i] = simulator.generate(lo..<hi) }
            }
            if pieces == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: pieces, execute: work) }
        }
        let stored = parts.reduce(0) { $0 + $1.indices.count }
        var indptr = [Int](repeating: 0, count: n + 1)
        var indices: [Int32] = []
        var values: [Float] = []
        indices.reserveCapacity(stored)
        values.reserveCapacity(stored)
        var row = 0
        for part in parts {
            for c in part.rowCounts {
                indptr[row + 1] = indptr[row] + c
                row += 1
            }
            indices.append(contentsOf: part.indices)
            values.append(contentsOf: part.values)
        }
        return CSRRows(firstRow: range.lowerBound, indptr: indptr, indices: indices, values: values)
    }

    struct Part: Sendable {
        var rowCounts: [Int] = []
        var indices: [Int32] = []
        var values: [Float] = []
    }

    struct SendableParts: @unchecked Sendable { let base: UnsafeMutablePointer<Part> }

    /// Counts of cells `range` on the calling thread.
    func generate(_ range: Range<Int>) -> Part {
        var part = Part()
        let genes = parameters.genes
        let nonMito = mitoGenes.lowerBound
        part.rowCounts.reserveCapacity(range.count)
        let guess = range.count * max(16, genes / 2)
        part.indices.reserveCapacity(guess)
        part.values.reserveCapacity(guess)
        proportions.withUnsafeBufferPointer { props in
            sizes.withUnsafeBufferPointer { size in
                for cell in range {
                    var rng = Xoshiro256StarStar(seed: parameters.seed, stream: UInt64(cell))
                    let plan = plan(&rng)
                    let table = (plan.type * parameters.batches + plan.batch) * genes
                    let before = part.indices.count
                    let scaleNon = plan.librarySize * (1 - plan.mitoFraction)
                    for g in 0..<nonMito {
                        let k = rng.negativeBinomial(mean: scaleNon * props[table + g], size: size[g])
                        if k > 0 {
                            part.indices.append(Int32(truncatingIfNeeded: g))
                            part.values.append(Float(k))
                        }
                    }
                    let scaleMito = plan.librarySize * plan.mitoFraction
                    for g in nonMito..<genes {
                        let k = rng.negativeBinomial(mean: scaleMito * props[table + g], size: size[g])
                        if k > 0 {
                            part.indices.append(Int32(truncatingIfNeeded: g))
                            part.values.append(Float(k))
                        }
                    }
                    part.rowCounts.append(part.indices.count - before)
                }
            }
        }
        return part
    }

    /// Per-cell table: barcodes as the index, `cell_type` and `batch` as categorical columns.
    public var obs: DataFrame {
        let n = parameters.cells
        var barcodes = [String](repeating: "", count: n)
        var types = [Int32](repeating: 0, count: n)
        var batches = [Int32](repeating: 0, count: n)
        for cell in 0..<n {
            let plan = plan(cell: cell)
            types[cell] = Int32(plan.type)
            batches[cell] = Int32(plan.batch)
            barcodes[cell] = barcode(cell: cell)
        }
        return DataFrame(index: barcodes, columns: [
            Column("cell_type", .categorical(codes: types, categories: cellTypeNames)),
            Column("batch", .categorical(codes: batches, categories: batchNames)),
        ])
    }

    /// Per-gene table: gene symbols as the index.
    public var genes: DataFrame { DataFrame(index: geneNames) }

    /// A 10x-style barcode (16 bases + "-1"), unique per cell: the cell index goes through a
    /// seeded bijection of 32-bit numbers, and 16 bases hold exactly 32 bits.
    public func barcode(cell: Int) -> String {
        let key = SplitMix64.mix(parameters.seed ^ 0xBA5E_C0DE)
        var x = UInt32(truncatingIfNeeded: cell) &+ UInt32(truncatingIfNeeded: key)
        x = Self.permute32(x) ^ UInt32(truncatingIfNeeded: key >> 32)
        x = Self.permute32(x)
        var bytes = [UInt8](repeating: 0, count: 18)
        let bases: [UInt8] = [65, 67, 71, 84]  // A C G T
        for i in 0..<16 { bytes[i] = bases[Int((x >> (30 - 2 * UInt32(i))) & 3)] }
        bytes[16] = 45  // "-"
        bytes[17] = 49  // "1"
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A bijective 32-bit mixer (Wellons' lowbias32).
    static func permute32(_ value: UInt32) -> UInt32 {
        var x = value
        x ^= x >> 16
        x &*= 0x7FEB_352D
        x ^= x >> 15
        x &*= 0x846C_A68B
        x ^= x >> 16
        return x
    }

    /// Writes the whole simulated matrix as `.h5ad` (integer counts), block by block: memory
    /// stays flat whatever the number of cells. `progress` is called with the cells written.
    /// Returns the number of stored (non-zero) counts.
    @discardableResult
    public func write(to path: String, progress: ((Int) -> Void)? = nil) throws -> Int {
        let writer = try H5ADStreamWriter(path: path, geneCount: parameters.genes, vars: genes, countsAsIntegers: true)
        let cells = parameters.cells
        let step = parameters.blockSize
        // Generate the next block on worker threads while this thread compresses and writes.
        let pending = BlockBox()
        let group = DispatchGroup()
        let simulator = self
        func launch(_ start: Int) {
            guard start < cells else { return }
            group.enter()
            DispatchQueue.global().async {
                pending.value = simulator.block(start..<min(cells, start + step))
                group.leave()
            }
        }
        launch(0)
        var start = 0
        do {
            while start < cells {
                group.wait()
                let current = pending.value!
                pending.value = nil
                launch(start + step)
                try writer.append(current)
                start += current.rowCount
                progress?(start)
            }
        } catch {
            group.wait()
            writer.cancel()
            throw error
        }
        let stored = writer.storedCount
        try writer.finish(obs: obs)
        return stored
    }

    final class BlockBox: @unchecked Sendable { var value: CSRRows? }

    /// How many cells of each type in `obs` order, useful in summaries.
    public func typeCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: parameters.cellTypes)
        for cell in 0..<parameters.cells { counts[plan(cell: cell).type] += 1 }
        return counts
    }

    // MARK: names

    static let typeNames = ["CD4 T", "CD8 T", "B", "NK", "CD14 Mono", "FCGR3A Mono"]
    static let typeWeights = [0.30, 0.15, 0.12, 0.10, 0.22, 0.06]
    static let typeLibrary = [0.85, 0.9, 0.95, 0.9, 1.3, 1.2]

    static let markerNames: [[String]] = [
        ["IL7R", "CCR7", "LEF1", "TCF7", "MAL", "LDHB", "SELL", "NOSIP", "TRAT1", "CD40LG", "AQP3", "CD4"],
        ["CD8A", "CD8B", "GZMK", "CRTAM", "LINC02446", "KLRG1", "DUSP2", "CD8B2", "TRGC2", "ZNF683"],
        ["MS4A1", "CD79A", "CD79B", "CD19", "BANK1", "CD22", "TCL1A", "VPREB3", "FCER2", "LINC00926", "IGHM", "IGHD", "HLA-DQA1"],
        ["NKG7", "GNLY", "KLRD1", "KLRF1", "PRF1", "GZMB", "NCAM1", "SPON2", "FGFBP2", "CCL4", "HOPX", "TXK"],
        ["CD14", "LYZ", "S100A8", "S100A9", "VCAN", "FCN1", "CSF3R", "MNDA", "CD36", "S100A12", "LGALS2", "MS4A6A"],
        ["FCGR3A", "MS4A7", "CDKN1C", "RHOC", "IFITM2", "HES4", "CX3CR1", "TCF7L2", "CKB", "LILRB2", "SIGLEC10"],
    ]

    static let sharedDefinitions: [(name: String, types: [Int], names: [String])] = [
        ("T cell", [0, 1], ["CD3E", "CD3D", "CD3G", "CD2", "CD247", "TRAC", "CD6", "CD5"]),
        ("myeloid", [4, 5], ["TYROBP", "FCER1G", "AIF1", "LST1", "FTL", "CST3", "PSAP", "SERPINA1"]),
        ("cytotoxic", [1, 3], ["GZMA", "CST7", "CTSW", "GZMH", "CCL5", "KLRB1", "CD7", "CCL4L2"]),
    ]

    static let housekeepingNames = [
        "MALAT1", "B2M", "TMSB4X", "EEF1A1", "ACTB", "RPL13", "RPS27", "RPL10", "RPS12", "RPL41",
        "RPS3", "RPL32", "RPL34", "RPS6", "RPL21", "RPS18", "RPL3", "RPS2", "FTH1", "TPT1",
    ]

    /// The 13 protein-coding genes of the human mitochondrial genome, in genome order.
    public static let mitoNames = [
        "MT-ND1", "MT-ND2", "MT-CO1", "MT-CO2", "MT-ATP8", "MT-ATP6", "MT-CO3",
        "MT-ND3", "MT-ND4L", "MT-ND4", "MT-ND5", "MT-ND6", "MT-CYB",
    ]
}
