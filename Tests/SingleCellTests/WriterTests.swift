import Foundation
import Mechanics
import XCTest

@testable import SingleCell

final class WriterTests: XCTestCase {
    var folder: String = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("c2s-writer-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    // MARK: fixtures

    /// 5 cells x 4 genes, with an empty row and a row using every gene.
    static let matrix = CSRRows(
        firstRow: 0, indptr: [0, 2, 2, 6, 7, 9],
        indices: [0, 3, 0, 1, 2, 3, 2, 1, 3],
        values: [1, 2.5, 3, 4, 5, 6, 7, 8, 9.25])

    static let obs = DataFrame(index: ["AAAC-1", "AAAG-1", "AACT-1", "AAGG-1", "ACGT-1"], columns: [
        Column("cell_type", .categorical(codes: [0, 1, 0, -1, 2], categories: ["T", "B", "NK"])),
        Column("donor", .strings(["d1", "d2", "d1", "", "d3 ü"])),
        Column("n_genes", .integers([2, 0, 4, 1, 2])),
        Column("score", .reals([0.5, -1, 1e10, 0, 3.25])),
        Column("keep", .bools([true, false, true, true, false])),
    ])

    static let vars = DataFrame(index: ["CD3E", "MS4A1", "NKG7", "MT-CO1"], columns: [
        Column("mt", .bools([false, false, false, true])),
        Column("kind", .categorical(codes: [0, 0, 0, 1], categories: ["nuclear", "mito"])),
    ])

    func assertSameRows(_ a: CSRRows, _ b: CSRRows, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.rowCount, b.rowCount, "rows", file: file, line: line)
        XCTAssertEqual(a.indptr.map { $0 - a.indptr[0] }, b.indptr.map { $0 - b.indptr[0] }, "indptr", file: file, line: line)
        XCTAssertEqual(Array(a.indices[a.indptr[0]..<a.indptr[a.rowCount]]), Array(b.indices[b.indptr[0]..<b.indptr[b.rowCount]]), "indices", file: file, line: line)
        XCTAssertEqual(Array(a.values[a.indptr[0]..<a.indptr[a.rowCount]]), Array(b.values[b.indptr[0]..<b.indptr[b.rowCount]]), "values", file: file, line: line)
    }

    // MARK: writer

    func testInMemoryRoundTrip() throws {
        let path = folder + "/small.h5ad"
        let pca: DenseFloatMatrix = (rows: 5, cols: 2, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        try H5ADWriter.write(path: path, matrix: Self.matrix, obs: Self.obs, vars: Self.vars, obsm: ["X_pca": pca])
        XCTAssertEqual(contents(), ["small.h5ad"], "only the finished file, no temporary file")

        let source = try H5ADSource(path: path)
        XCTAssertEqual(source.cellCount, 5)
        XCTAssertEqual(source.geneCount, 4)
        XCTAssertEqual(source.obs, Self.obs)
        XCTAssertEqual(source.genes, Self.vars)
        XCTAssertEqual(source.geneNames, Self.vars.index)
        assertSameRows(try source.readRows(0..<5), Self.matrix)
        assertSameRows(try source.readRows(2..<4), try InMemorySource(path: "", matrix: Self.matrix, obs: Self.obs, genes: Self.vars).readRows(2..<4))

        // The layout anndata expects.
        let file = try H5File(readingAt: path)
        let root = try file.root()
        XCTAssertEqual(root.attributes.string("encoding-type"), "anndata")
        XCTAssertEqual(root.attributes.string("encoding-version"), "0.1.0")
        let x = try root.group("X")
        XCTAssertEqual(x.attributes.string("encoding-type"), "csr_matrix")
        XCTAssertEqual(x.attributes.integers("shape"), [5, 4])
        XCTAssertEqual(try x.dataset("data").elementClass, .float(bytes: 4))
        XCTAssertEqual(try x.dataset("indices").elementClass, .integer(signed: true, bytes: 4))
        XCTAssertEqual(try x.dataset("indptr").elementClass, .integer(signed: true, bytes: 4), "same width as indices, as scipy needs")
        let obs = try root.group("obs")
        XCTAssertEqual(obs.attributes.string("encoding-type"), "dataframe")
        XCTAssertEqual(obs.attributes.string("encoding-version"), "0.2.0")
        XCTAssertEqual(obs.attributes.string("_index"), "_index")
        XCTAssertEqual(obs.attributes.strings("column-order"), ["cell_type", "donor", "n_genes", "score", "keep"])
        let cellType = try obs.group("cell_type")
        XCTAssertEqual(cellType.attributes.string("encoding-type"), "categorical")
        XCTAssertEqual(try cellType.dataset("codes").elementClass, .integer(signed: true, bytes: 1))
        XCTAssertEqual(try obs.dataset("keep").elementClass, .boolEnum)
        XCTAssertEqual(try obs.dataset("donor").attributes.string("encoding-type"), "string-array")
        XCTAssertEqual(try obs.dataset("n_genes").attributes.string("encoding-type"), "array")
        for name in ["layers", "obsm", "obsp", "varm", "varp", "uns"] {
            XCTAssertEqual(try root.group(name).attributes.string("encoding-type"), "dict", name)
        }
        let embedding = try root.group("obsm").dataset("X_pca")
        XCTAssertEqual(embedding.shape, [5, 2])
        XCTAssertEqual(try embedding.read(Float.self), pca.values)
    }

    func testCountsAreStoredAsIntegersAndEmptyColumnOrderAsH5pyDoes() throws {
        let path = folder + "/counts.h5ad"
        let counts = CSRRows(firstRow: 0, indptr: [0, 1, 3], indices: [1, 0, 2], values: [3, 1, 7])
        try H5ADWriter.write(path: path, matrix: counts, obs: DataFrame(index: ["a", "b"]),
                             vars: DataFrame(index: ["g1", "g2", "g3"]), countsAsIntegers: true)
        let file = try H5File(readingAt: path)
        let root = try file.root()
        XCTAssertEqual(try root.group("X").dataset("data").elementClass, .integer(signed: true, bytes: 4))
        XCTAssertEqual(try root.group("X").dataset("data").read(Int32.self), [3, 1, 7])
        // h5py writes an empty column-order as an empty float64 array; so do we.
        let plain = try root.group("var")
        XCTAssertEqual(plain.attributes.strings("column-order"), [])
        XCTAssertEqual(plain.attributes.integers("column-order"), [])
        let source = try H5ADSource(path: path)
        assertSameRows(try source.readRows(0..<2), counts)
        XCTAssertEqual(source.obs.index, ["a", "b"])
        XCTAssertEqual(source.obs.columns, [])

        // Non-integral values cannot be stored as counts, and nothing is left behind.
        let bad = CSRRows(firstRow: 0, indptr: [0, 1], indices: [0], values: [0.5])
        XCTAssertThrowsError(try H5ADWriter.write(path: folder + "/bad.h5ad", matrix: bad, obs: DataFrame(index: ["a"]),
                                                  vars: DataFrame(index: ["g"]), countsAsIntegers: true)) { error in
            XCTAssertEqual((error as? FileError)?.path, self.folder + "/bad.h5ad")
        }
        XCTAssertEqual(contents(), ["counts.h5ad"])
    }

    func testStreamingRoundTripAcrossChunks() throws {
        let path = folder + "/stream.h5ad"
        // A tiny chunk makes blocks straddle chunk boundaries.
        let writer = try H5ADStreamWriter(path: path, geneCount: 4, vars: Self.vars, countsAsIntegers: false, chunk: 3)
        let whole = InMemorySource(path: "", matrix: Self.matrix, obs: Self.obs, genes: Self.vars)
        XCTAssertTrue(FileManager.default.fileExists(atPath: writer.temporaryPath))
        XCTAssertEqual(URL(fileURLWithPath: writer.temporaryPath).deletingLastPathComponent().path,
                       URL(fileURLWithPath: path).deletingLastPathComponent().path, "temporary file sits next to the target")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "target appears only when finished")
        for range in [0..<2, 2..<2, 2..<3, 3..<5] {
            try writer.append(try whole.readRows(range))
        }
        XCTAssertEqual(writer.rowCount, 5)
        XCTAssertEqual(writer.storedCount, 9)
        try writer.finish(obs: Self.obs)
        XCTAssertEqual(contents(), ["stream.h5ad"])
        XCTAssertThrowsError(try writer.append(try whole.readRows(0..<1)), "a finished writer takes no more rows")

        let source = try H5ADSource(path: path)
        XCTAssertEqual(source.obs, Self.obs)
        XCTAssertEqual(source.genes, Self.vars)
        assertSameRows(try source.readRows(0..<5), Self.matrix)
        assertSameRows(try source.readRows(1..<4), try whole.readRows(1..<4))
    }

    func testIndicesAndIndptrWidenTogetherPastInt32() throws {
        let path = folder + "/wide.h5ad"
        let writer = try H5ADStreamWriter(path: path, geneCount: 4, vars: Self.vars, countsAsIntegers: false, chunk: 2)
        writer.narrowIndexLimit = 4  // stands in for Int32.max
        let whole = InMemorySource(path: "", matrix: Self.matrix, obs: Self.obs, genes: Self.vars)
        try writer.append(try whole.readRows(0..<3))  // 6 entries: widened here, after 4 were written narrow
        try writer.append(try whole.readRows(3..<5))
        try writer.finish(obs: Self.obs)
        let x = try H5File(readingAt: path).root().group("X")
        XCTAssertEqual(try x.dataset("indices").elementClass, .integer(signed: true, bytes: 8))
        XCTAssertEqual(try x.dataset("indptr").elementClass, .integer(signed: true, bytes: 8))
        XCTAssertEqual(x.memberNames(), ["data", "indices", "indptr"])
        assertSameRows(try H5ADSource(path: path).readRows(0..<5), Self.matrix)
        XCTAssertEqual(contents(), ["wide.h5ad"])
    }

    func testEmptyMatrix() throws {
        let path = folder + "/empty.h5ad"
        try H5ADWriter.write(path: path, matrix: .empty(at: 0), obs: DataFrame(index: []),
                             vars: DataFrame(index: ["g1", "g2"]), countsAsIntegers: true)
        let source = try H5ADSource(path: path)
        XCTAssertEqual(source.cellCount, 0)
        XCTAssertEqual(source.geneCount, 2)
    }

    // MARK: atomicity

    func testWriteIntoMissingFolderFailsCleanly() {
        let path = folder + "/no/such/folder/out.h5ad"
        XCTAssertThrowsError(try H5ADWriter.write(path: path, matrix: Self.matrix, obs: Self.obs, vars: Self.vars)) { error in
            let e = error as? FileError
            XCTAssertEqual(e?.path, path)
            XCTAssertTrue(e?.problem.contains("does not exist") ?? false, "\(error)")
        }
        XCTAssertEqual(contents(), [])
    }

    func testFailuresAndCancelLeaveNoFiles() throws {
        let path = folder + "/out.h5ad"
        // cancel()
        let cancelled = try H5ADStreamWriter(path: path, geneCount: 4, vars: Self.vars, countsAsIntegers: false)
        try cancelled.append(Self.matrix)
        XCTAssertEqual(contents().count, 1)
        cancelled.cancel()
        cancelled.cancel()
        XCTAssertEqual(contents(), [])
        XCTAssertThrowsError(try cancelled.finish(obs: Self.obs))
        XCTAssertEqual(contents(), [])

        // Dropped without finish().
        do {
            let dropped = try H5ADStreamWriter(path: path, geneCount: 4, vars: Self.vars, countsAsIntegers: false)
            try dropped.append(Self.matrix)
        }
        XCTAssertEqual(contents(), [])

        // obs of the wrong length: finish fails and cleans up.
        let short = try H5ADStreamWriter(path: path, geneCount: 4, vars: Self.vars, countsAsIntegers: false)
        try short.append(Self.matrix)
        XCTAssertThrowsError(try short.finish(obs: Self.obs.subset([0, 1]))) { error in
            XCTAssertEqual((error as? FileError)?.path, path)
        }
        XCTAssertEqual(contents(), [])

        // A column index outside the genes.
        let wide = try H5ADStreamWriter(path: path, geneCount: 3, vars: DataFrame(index: ["a", "b", "c"]), countsAsIntegers: false)
        XCTAssertThrowsError(try wide.append(Self.matrix)) { error in
            XCTAssertTrue("\(error)".contains("outside the 3 genes"), "\(error)")
        }
        XCTAssertEqual(contents(), [])

        // var of the wrong length, and a column name HDF5 cannot hold.
        XCTAssertThrowsError(try H5ADStreamWriter(path: path, geneCount: 5, vars: Self.vars, countsAsIntegers: false))
        var slashed = Self.obs
        slashed.columns[0].name = "a/b"
        XCTAssertThrowsError(try H5ADWriter.write(path: path, matrix: Self.matrix, obs: slashed, vars: Self.vars))
        XCTAssertEqual(contents(), [])

        // A failed rewrite keeps the earlier file intact.
        try H5ADWriter.write(path: path, matrix: Self.matrix, obs: Self.obs, vars: Self.vars)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try H5ADWriter.write(path: path, matrix: Self.matrix, obs: slashed, vars: Self.vars))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(contents(), ["out.h5ad"])
    }

    // MARK: random numbers

    func testSamplersHaveTheirMeansAndVariances() {
        var rng = Xoshiro256StarStar(seed: 42)
        func moments(_ n: Int, _ draw: () -> Double) -> (mean: Double, variance: Double) {
            var s = 0.0, s2 = 0.0
            for _ in 0..<n { let x = draw(); s += x; s2 += x * x }
            let m = s / Double(n)
            return (m, s2 / Double(n) - m * m)
        }
        let n = 20_000
        let g = moments(n) { rng.gaussian() }
        XCTAssertEqual(g.mean, 0, accuracy: 0.04)
        XCTAssertEqual(g.variance, 1, accuracy: 0.05)
        for shape in [0.3, 2.5] {
            let m = moments(n) { rng.gamma(shape: shape) }
            XCTAssertEqual(m.mean, shape, accuracy: 0.05 * max(1, shape))
            XCTAssertEqual(m.variance, shape, accuracy: 0.1 * max(1, shape))
        }
        for lambda in [0.7, 4.0, 35.0, 800.0] {
            let m = moments(n) { Double(rng.poisson(mean: lambda)) }
            XCTAssertEqual(m.mean, lambda, accuracy: 0.03 * lambda + 0.02, "poisson \(lambda)")
            XCTAssertEqual(m.variance, lambda, accuracy: 0.08 * lambda + 0.05, "poisson \(lambda)")
        }
        for (mean, size) in [(0.2, 2.0), (3.0, 0.5), (9.0, 4.0), (40.0, 3.0)] {
            let m = moments(n) { Double(rng.negativeBinomial(mean: mean, size: size)) }
            let variance = mean + mean * mean / size
            XCTAssertEqual(m.mean, mean, accuracy: 0.04 * mean + 0.01, "NB mean \(mean) size \(size)")
            XCTAssertEqual(m.variance, variance, accuracy: 0.15 * variance, "NB mean \(mean) size \(size)")
        }
        func first(_ seed: UInt64, _ stream: UInt64) -> UInt64 {
            var g = Xoshiro256StarStar(seed: seed, stream: stream)
            return g.next()
        }
        XCTAssertEqual(first(7, 3), first(7, 3))
        XCTAssertNotEqual(first(7, 3), first(7, 4))
        XCTAssertEqual(logFactorial(300), logFactorial(299) + log(300.0), accuracy: 1e-9)
    }

    // MARK: simulator

    static let small = CountSimulator.Parameters(cells: 600, genes: 300, cellTypes: 6, seed: 11)

    func testSimulatorIsDeterministic() {
        let a = CountSimulator(Self.small), b = CountSimulator(Self.small)
        let whole = a.block(0..<300)
        assertSameRows(whole, b.block(0..<300))
        assertSameRows(a.block(0..<100, threads: 1), CSRRowsSlice.rows(whole, 0..<100))
        assertSameRows(a.block(0..<300, threads: 3), whole)
        assertSameRows(a.block(150..<250, threads: 2), CSRRowsSlice.rows(whole, 150..<250))
        XCTAssertEqual(a.block(150..<250).firstRow, 150)
        XCTAssertEqual(a.obs, b.obs)
        XCTAssertEqual(a.geneNames, b.geneNames)
        var other = Self.small
        other.seed = 12
        XCTAssertNotEqual(CountSimulator(other).block(0..<50).values, a.block(0..<50).values)
    }

    func testSimulatorHandlesEdgeParameters() {
        let cases = [
            CountSimulator.Parameters(cells: 40, genes: 27, cellTypes: 6),
            CountSimulator.Parameters(cells: 40, genes: 100, cellTypes: 1, mitoGenes: 0),
            CountSimulator.Parameters(cells: 40, genes: 150, cellTypes: 12, batches: 3),
            CountSimulator.Parameters(cells: 1, genes: 60, cellTypes: 2, markersPerType: 1, damagedFraction: 1),
        ]
        for p in cases {
            XCTAssertEqual(p.problems, [], "\(p)")
            let sim = CountSimulator(p)
            XCTAssertEqual(Set(sim.geneNames).count, p.genes, "unique gene names \(p)")
            XCTAssertEqual(sim.cellTypeNames.count, p.cellTypes)
            XCTAssertEqual(Set(sim.markerGenes.joined()).count, sim.markerGenes.joined().count, "markers belong to one type")
            let m = sim.block(0..<p.cells)
            XCTAssertEqual(m.rowCount, p.cells)
            for r in 0..<m.rowCount {
                let row = m.indices[m.range(ofRow: r)]
                XCTAssertTrue(zip(row, row.dropFirst()).allSatisfy { $0 < $1 }, "sorted columns")
                XCTAssertTrue(row.allSatisfy { $0 >= 0 && Int($0) < p.genes })
            }
            XCTAssertEqual(sim.obs.rowCount, p.cells)
        }
        XCTAssertEqual(CountSimulator(CountSimulator.Parameters(genes: 150, cellTypes: 8)).cellTypeNames.suffix(2), ["Type7", "Type8"])
        XCTAssertFalse(CountSimulator.Parameters(cellTypes: 101).problems.isEmpty)
        XCTAssertFalse(CountSimulator.Parameters(mitoGenes: 14).problems.isEmpty)
    }

    func testSimulatedDataLooksLikeDropletData() {
        let sim = CountSimulator(Self.small)
        let m = sim.block(0..<sim.parameters.cells)
        let obs = sim.obs
        let genes = sim.parameters.genes

        // Names: unique genes with real markers and mitochondrial symbols; 10x-style barcodes.
        XCTAssertEqual(Set(sim.geneNames).count, genes)
        XCTAssertEqual(Set(obs.index).count, obs.rowCount)
        XCTAssertTrue(obs.index.allSatisfy { $0.count == 18 && $0.hasSuffix("-1") && $0.dropLast(2).allSatisfy { "ACGT".contains($0) } })
        XCTAssertEqual(Array(sim.geneNames[sim.mitoGenes]), CountSimulator.mitoNames)
        for marker in ["CD3E", "MS4A1", "LYZ", "NKG7", "CD8A", "FCGR3A", "CD14"] {
            XCTAssertTrue(sim.geneNames.contains(marker), marker)
        }
        XCTAssertEqual(sim.cellTypeNames, ["CD4 T", "CD8 T", "B", "NK", "CD14 Mono", "FCGR3A Mono"])
        guard case .categorical(let codes, let categories)? = obs.column("cell_type")?.values else {
            return XCTFail("cell_type is not categorical")
        }
        XCTAssertEqual(categories, sim.cellTypeNames)
        XCTAssertEqual(Set(codes).count, 6, "every cell type present")
        guard case .categorical(let batches, let batchNames)? = obs.column("batch")?.values else {
            return XCTFail("batch is not categorical")
        }
        XCTAssertEqual(batchNames, ["batch1", "batch2"])
        XCTAssertEqual(Set(batches).count, 2)

        // Per-cell totals, mitochondrial fraction and normalised expression.
        var totals = [Double](repeating: 0, count: m.rowCount)
        var mito = [Double](repeating: 0, count: m.rowCount)
        var normalised = [Double](repeating: 0, count: m.rowCount * genes)
        for r in 0..<m.rowCount {
            for k in m.range(ofRow: r) { totals[r] += Double(m.values[k]) }
            for k in m.range(ofRow: r) {
                let g = Int(m.indices[k])
                normalised[r * genes + g] = log1p(1e4 * Double(m.values[k]) / totals[r])
                if sim.mitoGenes.contains(g) { mito[r] += Double(m.values[k]) / totals[r] }
            }
        }
        XCTAssertEqual(m.values.count, m.indices.count)
        XCTAssertTrue(m.values.allSatisfy { $0 > 0 && $0 == $0.rounded() }, "positive whole counts")
        let meanTotal = totals.reduce(0, +) / Double(totals.count)
        let sdTotal = (totals.map { ($0 - meanTotal) * ($0 - meanTotal) }.reduce(0, +) / Double(totals.count)).squareRoot()
        XCTAssertTrue(meanTotal > 2500 && meanTotal < 6000, "mean library size \(meanTotal)")
        XCTAssertGreaterThan(sdTotal / meanTotal, 0.2, "library sizes vary")
        let density = Double(m.storedCount) / Double(m.rowCount * genes)
        XCTAssertTrue(density > 0.1 && density < 0.9, "density \(density)")
        let detected = Set(m.indices)
        XCTAssertTrue(sim.mitoGenes.allSatisfy { detected.contains(Int32($0)) }, "mitochondrial genes expressed")

        let damaged = (0..<m.rowCount).filter { sim.plan(cell: $0).damaged }
        let healthy = (0..<m.rowCount).filter { !sim.plan(cell: $0).damaged }
        XCTAssertFalse(damaged.isEmpty, "some damaged cells")
        XCTAssertLessThan(Double(damaged.count) / Double(m.rowCount), 0.08)
        let damagedMito = damaged.map { mito[$0] }.reduce(0, +) / Double(damaged.count)
        let healthyMito = healthy.map { mito[$0] }.reduce(0, +) / Double(healthy.count)
        XCTAssertGreaterThan(damagedMito, 0.15)
        XCTAssertTrue(healthyMito > 0.01 && healthyMito < 0.1, "healthy mito fraction \(healthyMito)")

        // Each type's markers are higher in that type than elsewhere.
        for t in 0..<6 {
            let inType = (0..<m.rowCount).filter { codes[$0] == Int32(t) }
            let outside = (0..<m.rowCount).filter { codes[$0] != Int32(t) }
            func mean(_ cells: [Int]) -> Double {
                var s = 0.0
                for c in cells { for g in sim.markerGenes[t] { s += normalised[c * genes + g] } }
                return s / Double(cells.count * sim.markerGenes[t].count)
            }
            XCTAssertGreaterThan(mean(inType), mean(outside) + 0.8, "markers of \(sim.cellTypeNames[t])")
        }
    }

    func testSimulatorWritesReadableFile() throws {
        let path = folder + "/sim.h5ad"
        var p = Self.small
        p.cells = 250
        p.blockSize = 64
        let sim = CountSimulator(p)
        var reported: [Int] = []
        let stored = try sim.write(to: path) { reported.append($0) }
        XCTAssertEqual(reported, [64, 128, 192, 250])
        XCTAssertEqual(contents(), ["sim.h5ad"])
        let source = try H5ADSource(path: path)
        XCTAssertEqual(source.cellCount, 250)
        XCTAssertEqual(source.geneNames, sim.geneNames)
        XCTAssertEqual(source.obs, sim.obs)
        let expected = sim.block(0..<250)
        XCTAssertEqual(stored, expected.storedCount)
        assertSameRows(try source.readRows(0..<250), expected)
        let file = try H5File(readingAt: path)
        XCTAssertEqual(try file.root().group("X").dataset("data").elementClass, .integer(signed: true, bytes: 4))
        XCTAssertTrue(CountSimulator.Parameters(cells: 0).problems.count == 1)
        XCTAssertTrue(CountSimulator.Parameters(genes: 10).problems.count == 1)
    }

    // MARK: Python anndata

    func testAnnDataReadsWrittenFiles() throws {
        guard Self.pythonHasAnnData() else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTFail("CI is set but python3 cannot import anndata; install it (pip install anndata h5py)")
            }
            throw XCTSkip("python3 with anndata is not available")
        }
        let small = folder + "/small.h5ad"
        try H5ADWriter.write(path: small, matrix: Self.matrix, obs: Self.obs, vars: Self.vars,
                             obsm: ["X_umap": (rows: 5, cols: 2, values: [Float](repeating: 0.5, count: 10))])
        let sim = CountSimulator(CountSimulator.Parameters(cells: 200, genes: 120, cellTypes: 7, seed: 3))
        let simulated = folder + "/sim.h5ad"
        try sim.write(to: simulated)
        let m = sim.block(0..<200)
        let typeCounts = sim.typeCounts()
        let wide = folder + "/wide.h5ad"
        let writer = try H5ADStreamWriter(path: wide, geneCount: 4, vars: Self.vars, countsAsIntegers: false, chunk: 2)
        writer.narrowIndexLimit = 4
        try writer.append(Self.matrix)
        try writer.finish(obs: Self.obs)

        let script = """
            import sys, json, warnings
            warnings.filterwarnings("ignore")
            import anndata as ad, numpy as np, scipy.sparse as sp
            out = []
            for path in sys.argv[1:]:
                a = ad.read_h5ad(path)
                obs = a.obs
                cleaned = a.X.copy()
                cleaned.eliminate_zeros()  # fails when indices and indptr differ in width
                out.append({
                    "shape": list(a.shape), "sum": float(a.X.sum()), "sparse": bool(sp.issparse(a.X)),
                    "dtype": str(a.X.dtype), "row0": [float(v) for v in np.asarray(a.X[0].todense()).ravel()],
                    "index_dtypes": [str(a.X.indices.dtype), str(a.X.indptr.dtype)],
                    "nnz_after_eliminate_zeros": int(cleaned.nnz),
                    "obs_names": list(a.obs_names), "var_names": list(a.var_names),
                    "dtypes": {c: str(obs[c].dtype) for c in obs.columns},
                    "categories": {c: [str(x) for x in obs[c].cat.categories] for c in obs.columns if str(obs[c].dtype) == "category"},
                    "counts": {c: [int(x) for x in obs[c].value_counts(sort=False)] for c in obs.columns if str(obs[c].dtype) == "category"},
                    "missing": {c: int(obs[c].isna().sum()) for c in obs.columns},
                    "var_columns": list(a.var.columns), "obsm": {k: list(v.shape) for k, v in a.obsm.items()},
                    "strings": [str(x) for x in obs["donor"]] if "donor" in obs else [],
                })
            print(json.dumps(out))
            """
        let output = try Self.runPython(script, arguments: [small, simulated, wide])
        let results = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [[String: Any]]
        XCTAssertEqual(results.count, 3)

        let a = results[0]
        XCTAssertEqual(a["shape"] as? [Int], [5, 4])
        XCTAssertEqual(a["sum"] as? Double ?? 0, Double(Self.matrix.values.reduce(0, +)), accuracy: 1e-4)
        XCTAssertEqual(a["sparse"] as? Bool, true)
        XCTAssertEqual(a["dtype"] as? String, "float32")
        XCTAssertEqual(a["index_dtypes"] as? [String], ["int32", "int32"], "scipy needs one index width")
        XCTAssertEqual(a["nnz_after_eliminate_zeros"] as? Int, 9)
        XCTAssertEqual(a["row0"] as? [Double], [1, 0, 0, 2.5])
        XCTAssertEqual(a["obs_names"] as? [String], Self.obs.index)
        XCTAssertEqual(a["var_names"] as? [String], Self.vars.index)
        XCTAssertEqual(a["dtypes"] as? [String: String], ["cell_type": "category", "donor": "object", "n_genes": "int64", "score": "float64", "keep": "bool"])
        XCTAssertEqual((a["categories"] as? [String: [String]])?["cell_type"], ["T", "B", "NK"])
        XCTAssertEqual((a["missing"] as? [String: Int])?["cell_type"], 1)
        XCTAssertEqual(a["strings"] as? [String], ["d1", "d2", "d1", "", "d3 ü"])
        XCTAssertEqual(a["var_columns"] as? [String], ["mt", "kind"])
        XCTAssertEqual(a["obsm"] as? [String: [Int]], ["X_umap": [5, 2]])

        let b = results[1]
        XCTAssertEqual(b["shape"] as? [Int], [200, 120])
        XCTAssertEqual(b["sum"] as? Double ?? 0, m.values.reduce(0.0) { $0 + Double($1) }, accuracy: 0.5)
        XCTAssertEqual(b["dtype"] as? String, "int32")
        XCTAssertEqual(b["var_names"] as? [String], sim.geneNames)
        XCTAssertEqual(b["obs_names"] as? [String], sim.obs.index)
        XCTAssertEqual((b["categories"] as? [String: [String]])?["cell_type"], sim.cellTypeNames)
        XCTAssertEqual((b["categories"] as? [String: [String]])?["batch"], ["batch1", "batch2"])
        XCTAssertEqual((b["counts"] as? [String: [Int]])?["cell_type"], typeCounts)
        XCTAssertEqual(b["var_columns"] as? [String], [])
        XCTAssertEqual(b["index_dtypes"] as? [String], ["int32", "int32"])

        let c = results[2]
        XCTAssertEqual(c["index_dtypes"] as? [String], ["int64", "int64"])
        XCTAssertEqual(c["row0"] as? [Double], [1, 0, 0, 2.5])
        XCTAssertEqual(c["sum"] as? Double ?? 0, Double(Self.matrix.values.reduce(0, +)), accuracy: 1e-4)
    }

    static func pythonHasAnnData() -> Bool {
        (try? runPython("import anndata", arguments: [])) != nil
    }

    static func runPython(_ script: String, arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DataError("python3 failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Row slices of a CSR block, for comparing blocks.
enum CSRRowsSlice {
    static func rows(_ m: CSRRows, _ range: Range<Int>) -> CSRRows {
        let lo = m.indptr[range.lowerBound], hi = m.indptr[range.upperBound]
        return CSRRows(firstRow: m.firstRow + range.lowerBound,
                       indptr: m.indptr[range.lowerBound...range.upperBound].map { $0 - lo },
                       indices: Array(m.indices[lo..<hi]), values: Array(m.values[lo..<hi]))
    }
}
