@testable import CellSentences
import Foundation
import Mechanics
import SingleCell
import TestSupport
import XCTest

final class InverseTransformTests: XCTestCase {
    /// Same cells as cell2sentence 1.2.0's `benchmark_expression_conversion` (fixture from
    /// scripts/fixtures/make_inverse_fixtures.py): slope, intercept, R^2, Pearson and Spearman
    /// within 1e-6.
    func testFitMatchesReferenceOnTheSameCells() throws {
        let fx = try loadGzipJSON("c2s/kang_inverse.json.gz") as! [String: Any]
        let reference = fx["reference_metrics"] as! [String: Any]
        let rows = fx["sample_idxs"] as! [Int]
        let source = try H5ADSource(path: try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad"))
        var options = PreprocessingOptions()
        options.minGenes = 0
        options.minCells = 0
        let plan = try Preprocessor.plan(source, options: options)
        let collector = FitValueCollector(cellCount: source.cellCount, rows: rows)
        let block = try source.readRows(0..<source.cellCount)
        let (matrix, kept) = plan.apply(to: block, normalize: false)
        collector.collect(matrix, rows: kept, plan: plan)
        var settings = InverseTransformSettings()
        settings.logRankThreshold = (reference["threshold"] as! NSNumber).doubleValue
        let fit = InverseTransform.fit(settings: settings, values: collector.values, global: rows, byGroup: [])
        func ref(_ k: String) -> Double { (reference[k] as! NSNumber).doubleValue }
        XCTAssertEqual(fit.model.slope, ref("slope"), accuracy: 1e-6)
        XCTAssertEqual(fit.model.intercept, ref("intercept"), accuracy: 1e-6)
        XCTAssertEqual(fit.quality.rSquared, ref("r_squared"), accuracy: 1e-6)
        XCTAssertEqual(fit.quality.pearson, ref("pearson_r_statistic"), accuracy: 1e-6)
        XCTAssertEqual(fit.quality.spearman, ref("spearman_r_statistic"), accuracy: 1e-6)
        let independent = fx["independent_metrics"] as! [String: Any]
        XCTAssertEqual(fit.quality.points, independent["n_points"] as? Int)
        XCTAssertEqual(fit.quality.fitPoints, independent["n_fit_points"] as? Int)
        XCTAssertEqual(fit.quality.cells, 1024)
    }

    func testLeastSquaresAndStatisticsOnKnownValues() {
        let line = LeastSquares.line(x: [0, 1, 2, 3], y: [1, 3, 5, 7])
        XCTAssertEqual(line.slope, 2, accuracy: 1e-12)
        XCTAssertEqual(line.intercept, 1, accuracy: 1e-12)
        XCTAssertEqual(Correlation.averageRanks([10, 20, 20, 5]), [2, 3.5, 3.5, 1])
        XCTAssertEqual(Correlation.pearson([1, 2, 3], [2, 4, 6]), 1, accuracy: 1e-12)
        XCTAssertEqual(Correlation.spearman([1, 2, 3, 4], [1, 4, 9, 16]), 1, accuracy: 1e-12)
        // r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.948608137... (scikit-learn docs)
        XCTAssertEqual(Correlation.rSquared(actual: [3, -0.5, 2, 7], predicted: [2.5, 0, 2, 8]), 0.9486081370449679, accuracy: 1e-12)
    }

    func testSampleIsSeededDistinctAndSorted() {
        let a = InverseTransform.sample(Array(0..<5000), size: 100, seed: 3)
        XCTAssertEqual(a, InverseTransform.sample(Array(0..<5000), size: 100, seed: 3))
        XCTAssertNotEqual(a, InverseTransform.sample(Array(0..<5000), size: 100, seed: 4))
        XCTAssertEqual(Set(a).count, 100)
        XCTAssertEqual(a, a.sorted())
        XCTAssertEqual(InverseTransform.sample([7, 9], size: 10, seed: 0), [7, 9])
    }

    /// The sample kept as positions (a dictionary of swapped places) is the partial
    /// Fisher-Yates shuffle over a copy of every candidate that it replaced; and planning from
    /// the kept flags picks the rows planning from the list of kept cells picks.
    func testSparseSampleEqualsTheShuffleOfACopy() throws {
        func copyShuffle(_ candidates: [Int], size: Int, seed: UInt64) -> [Int] {
            var pool = candidates
            var rng = SplitMix64(seed: seed ^ 0x5EED_F17)
            let n = min(size, pool.count)
            for i in 0..<n { pool.swapAt(i, i + Int(rng.next(below: UInt64(pool.count - i)))) }
            return pool.prefix(n).sorted()
        }
        var rng = SplitMix64(seed: 9)
        for trial in 0..<40 {
            let count = [0, 1, 5, 100, 3000][trial % 5]
            let kept = (0..<(count * 2)).map { _ in rng.next(below: 2) == 1 }
            let keptCells = kept.indices.filter { kept[$0] }
            for size in [1, 7, 1024] {
                let seed = UInt64(trial)
                XCTAssertEqual(InverseTransform.sample(keptCells, size: size, seed: seed), copyShuffle(keptCells, size: size, seed: seed))
                var settings = InverseTransformSettings()
                settings.sampleSize = size
                settings.seed = seed
                let groups = kept.indices.map { "g\($0 % 3)" }
                let fromList = InverseTransform.plannedRows(keptCells: keptCells, groups: groups, settings: settings)
                // The column read in blocks of 7, so groups continue across blocks.
                let column = GroupLabelColumn(rowCount: groups.count, blockSize: 7) { Array(groups[$0]) }
                let fromFlags = try InverseTransform.plannedRows(cellKept: kept, keptCount: keptCells.count, groups: column, settings: settings)
                XCTAssertEqual(fromFlags.global, fromList.global)
                XCTAssertEqual(fromFlags.byGroup.map { $0.0 }, fromList.byGroup.map { $0.0 })
                XCTAssertEqual(fromFlags.byGroup.map { $0.1 }, fromList.byGroup.map { $0.1 })
            }
        }
    }

    func testModelClipsAtZeroUnlessAsked() {
        let m = LinearRankModel(slope: -1, intercept: 2)
        XCTAssertEqual(m.expression(atPosition: 0), 2)
        XCTAssertEqual(m.expression(atPosition: 999), 0)
        XCTAssertEqual(m.expression(atPosition: 999, clip: false), -1, accuracy: 1e-12)
    }

    func testConvertStoresFitAndGroupFitsImproveOnKang() throws {
        let tmp = try TemporaryFolder()
        let source = try H5ADSource(path: try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad"))
        var options = ConversionOptions()
        options.fit?.groupColumn = "seurat_annotations"
        options.fit?.sampleSize = 200
        let m = try CellSentenceConverter.convert(source, to: tmp.file("out"), options: options)
        let fit = try XCTUnwrap(m.inverseTransform)
        XCTAssertEqual(fit.quality.cells, 200)
        XCTAssertLessThan(fit.model.slope, 0)
        XCTAssertGreaterThan(fit.quality.rSquared, 0.8)
        XCTAssertEqual(fit.groups?.count, 13)
        XCTAssertGreaterThan(fit.pooledGroupQuality!.rSquared, fit.pooledGlobalQuality!.rSquared)
        XCTAssertEqual(try DatasetManifest.read(folder: tmp.file("out")).inverseTransform, fit)
    }
}

final class SortedOrderTests: XCTestCase {
    func testRadixOrderEqualsStableSort() {
        var rng = SplitMix64(seed: 9)
        let values = (0..<50_000).map { _ in Double(Int(rng.next() % 2000) - 1000) / 7 }  // many ties, negatives
        let expected = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        XCTAssertEqual(Correlation.sortedOrder(values), expected)
        XCTAssertEqual(Correlation.sortedOrder([2.5, -0.0, 0.0, -1e300, 1e-300]), [3, 1, 2, 4, 0])
        XCTAssertEqual(Correlation.sortedOrder([]), [])
    }
}
