import Foundation
import SingleCell
import TestSupport
import XCTest

/// Filtering, QC metrics, normalisation and log against scanpy on every dataset in
/// ../shared/data (fixtures made by scripts/fixtures/make_scanpy_fixtures.py).
final class ScanpyParityTests: XCTestCase {
    static let datasets = [
        ("kang-ifnb-sub2k", "kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad"),
        ("garnett-pbmc800", "garnett-pbmc800/garnett_pbmc800.h5ad"),
        ("pbmc68k-reduced", "pbmc68k-reduced/pbmc68k_reduced_counts.h5ad"),
        ("seurat-pbmc-small80", "seurat-pbmc-small80/pbmc_small80.h5ad"),
    ]
    static let settings = ["plain", "paper", "tutorial", "lowfilter"]

    func testAllDatasetsAndSettings() throws {
        var checked = 0
        for (name, file) in Self.datasets {
            let path = try TestPaths.sharedFile(file)
            for setting in Self.settings {
                try check(path: path, fixture: "scanpy/\(name)__\(setting).json.gz", label: "\(name)/\(setting)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 16)
    }

    static func options(from params: [String: Any]) -> PreprocessingOptions {
        var o = PreprocessingOptions()
        o.minGenes = params["min_genes"] as? Int ?? 0
        o.minCells = params["min_cells"] as? Int ?? 0
        o.maxCounts = (params["max_counts"] as? NSNumber)?.doubleValue
        o.maxPercentMito = (params["max_pct_mito"] as? NSNumber)?.doubleValue
        o.mitoPrefix = params["mito_prefix"] as? String ?? "MT-"
        if let t = params["target_sum"] as? String, t == "median" { o.targetSum = .median }
        else if let t = (params["target_sum"] as? NSNumber)?.doubleValue { o.targetSum = .fixed(t) }
        o.log = .base((params["log_base"] as! NSNumber).doubleValue)
        return o
    }

    func check(path: String, fixture name: String, label: String) throws {
        let fx = try loadGzipJSON(name) as! [String: Any]
        let options = Self.options(from: fx["params"] as! [String: Any])
        let source = try H5ADSource(path: path)
        XCTAssertEqual(source.cellCount, fx["n_obs_in"] as? Int)
        XCTAssertEqual(source.geneCount, fx["n_vars_in"] as? Int)

        let keptCells = fx["kept_cells"] as! [Int]
        if keptCells.isEmpty {
            XCTAssertThrowsError(try Preprocessor.plan(source, options: options), label) { error in
                XCTAssertTrue(error is DataError, "\(label): \(error)")
            }
            return
        }
        let plan = try Preprocessor.plan(source, options: options, blockSize: 333)
        XCTAssertEqual(plan.keptCells, keptCells, "\(label): kept cells")
        XCTAssertEqual(plan.keptGenes, fx["kept_genes"] as! [Int], "\(label): kept genes")
        if let target = (fx["target_sum_used"] as? NSNumber)?.doubleValue {
            XCTAssertEqual(plan.targetSumUsed!, target, accuracy: 1e-9 * target, "\(label): target sum")
        }
        if let rows = fx["qc_rows"] as? [Int] {
            let nGenes = fx["qc_n_genes_by_counts"] as! [Int]
            let totals = fx["qc_total_counts"] as! [Double]
            let pct = fx["qc_pct_counts_mt"] as! [Double]
            for (k, row) in rows.enumerated() {
                XCTAssertEqual(Int(plan.qc.nGenes[row]), nGenes[k], "\(label): n_genes of row \(row)")
                XCTAssertEqual(plan.qc.totalCounts[row], totals[k], accuracy: 1e-5 * max(1, totals[k]), "\(label): total of row \(row)")
                XCTAssertEqual(Double(plan.qc.percentMito[row]), pct[k], accuracy: 1e-5 * max(1, pct[k]), "\(label): pct mito of row \(row)")
            }
        }

        // The whole normalised matrix, summarised per cell and per gene.
        let rowSum = fx["row_sum"] as! [Double], rowSumSq = fx["row_sumsq"] as! [Double], rowNnz = fx["row_nnz"] as! [Int]
        var geneCells = [Int](repeating: 0, count: plan.keptGenes.count)
        var finalRow = 0
        var samples: [Int: [Int: Float]] = [:]
        let sampleRows = fx["sample_rows"] as! [[String: Any]]
        let wanted = Set(sampleRows.map { $0["row"] as! Int })
        for start in stride(from: 0, to: source.cellCount, by: 500) {
            let block = try source.readRows(start..<min(source.cellCount, start + 500))
            let (m, rows) = plan.apply(to: block)
            for r in 0..<m.rowCount {
                var s = 0.0, s2 = 0.0
                for k in m.range(ofRow: r) {
                    let v = Double(m.values[k])
                    s += v; s2 += v * v
                    geneCells[Int(m.indices[k])] += 1
                }
                XCTAssertEqual(m.range(ofRow: r).count, rowNnz[finalRow], "\(label): nnz of final row \(finalRow)")
                XCTAssertEqual(s, rowSum[finalRow], accuracy: 1e-5 * max(1, rowSum[finalRow]), "\(label): sum of final row \(finalRow)")
                XCTAssertEqual(s2, rowSumSq[finalRow], accuracy: 1e-5 * max(1, rowSumSq[finalRow]), "\(label): sum of squares of final row \(finalRow)")
                if wanted.contains(rows[r]) {
                    samples[rows[r]] = Dictionary(uniqueKeysWithValues: m.range(ofRow: r).map { (Int(m.indices[$0]), m.values[$0]) })
                }
                finalRow += 1
            }
        }
        XCTAssertEqual(finalRow, keptCells.count)
        XCTAssertEqual(geneCells, fx["gene_n_cells"] as! [Int], "\(label): cells per gene")
        for sample in sampleRows {
            let row = sample["row"] as! Int
            let cols = sample["cols"] as! [Int], values = sample["values"] as! [Double]
            let ours = samples[row] ?? [:]
            XCTAssertEqual(Set(ours.keys), Set(cols), "\(label): genes of row \(row)")
            for (c, v) in zip(cols, values) {
                XCTAssertEqual(Double(ours[c] ?? -1), v, accuracy: 1e-5 * max(1, abs(v)), "\(label): row \(row) gene \(c)")
            }
        }
    }
}
