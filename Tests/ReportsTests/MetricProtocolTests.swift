@testable import Evaluation
import Foundation
@testable import Reports
import SingleCell
import TestSupport
import XCTest

/// A metric known only to this test: the generated and real cells the metric sees, and the
/// generated share of all of them (read against the 50 % of equal sets).
enum TestCellCountMetric: EvaluationMetric {
    struct Value: Codable, Sendable, Equatable {
        var generated: Int
        var real: Int
        var share: Double
    }

    static let key = "test_cell_count"
    static let stage: String? = "test cell count"

    static func compute(_ input: GenerationMetricInput, warnings: inout [String]) throws -> Value? {
        warnings.append("test metric ran in \(input.space) space")
        let g = input.generated.rowCount, r = input.real.rowCount
        return Value(generated: g, real: r, share: Double(g) / Double(g + r))
    }

    static func summary(_ v: Value) -> [String] { ["test cells: \(v.generated) generated, \(v.real) real"] }

    static func headline(_ v: Value) -> [HeadlineFigure] {
        [HeadlineFigure("test share of generated cells", v.share, unit: .share, references: [HeadlineReference("equal sets", 0.5)])]
    }

    static func details(_ v: Value) -> [MetricDetail] { [MetricDetail("test cells (generated / real)", "\(v.generated) / \(v.real)")] }
}

/// An annotation metric known only to this test: the share of rows predicted right.
enum TestAgreementMetric: EvaluationMetric {
    static let key = "test_agreement"

    static func compute(_ input: AnnotationMetricInput, warnings: inout [String]) throws -> Double? {
        Double(zip(input.truth, input.predicted).filter { $0 == $1 }.count) / Double(input.truth.count)
    }

    static func summary(_ v: Double) -> [String] { ["test agreement: \(HeadlineFigure.Unit.share.format(v))"] }
    static func headline(_ v: Double) -> [HeadlineFigure] { [HeadlineFigure("test agreement", v, unit: .share)] }
    static func details(_ v: Double) -> [MetricDetail] { [MetricDetail("test agreement", HeadlineFigure.Unit.share.format(v))] }
}

/// A perturbation metric known only to this test: the genes it was given.
enum TestGeneCountMetric: EvaluationMetric {
    static let key = "test_gene_count"
    static func compute(_ input: PerturbationMetricInput, warnings: inout [String]) throws -> Int? { input.genes.count }
    static func summary(_ v: Int) -> [String] { ["test genes: \(v)"] }
}

/// The metric protocol's wiring: a metric registered with an evaluation (and nowhere else)
/// is computed, written to and read from the JSON under its key, printed in the summary, and
/// shown in the headline table and on the page; the registries hold the converted metrics.
final class MetricProtocolTests: XCTestCase {
    func table(_ path: String, genes: [String], rows: [[Double]], columns: [Column]) -> ExpressionMatrix {
        ExpressionMatrix(path: path, genes: genes, cellNames: rows.indices.map { "\(path)-\($0)" },
                         obs: DataFrame(index: rows.indices.map { "\(path)-\($0)" }, columns: columns),
                         matrix: FeatureRows(dense: rows.flatMap { $0 }, rows: rows.count, columns: genes.count))
    }

    func testRegistriesHoldTheConvertedMetrics() {
        XCTAssertEqual(GenerationMetrics.all.map { $0.key }, ["sentence_quality", "mmd", "gromov_wasserstein", "training_overlap"])
        // Every key is distinct and none is one of the report's own keys.
        let own: Set = ["settings", "inputs", "shared_genes", "pca", "knn", "knn_chance", "knn_real_vs_real_generated_mix",
                        "mean_profiles", "profile_null", "warnings", "timings", "label_swap"]
        let keys = GenerationMetrics.all.map { $0.key } + AnnotationMetrics.all.map { $0.key } + PerturbationMetrics.all.map { $0.key }
        XCTAssertEqual(Set(keys).count, keys.count)
        XCTAssertTrue(own.isDisjoint(with: keys))
    }

    func testGenerationMetricReachesJSONSummaryHeadlineAndPage() throws {
        let genes = ["A", "B", "C", "D"]
        let real = table("real", genes: genes, rows: [[3, 1, 0, 0], [2, 2, 1, 0], [0, 1, 3, 2], [0, 0, 2, 3], [1, 0, 0, 4]],
                         columns: [Column("cell_type", .strings(["x", "x", "y", "y", "y"]))])
        let generated = table("gen", genes: genes, rows: [[3, 0, 1, 0], [0, 1, 2, 3], [2, 1, 0, 1]],
                              columns: [Column("cell_type", .strings(["x", "y", "x"])),
                                        Column("cell_sentence", .strings(["A C", "D C B", "A B D"]))])
        var settings = GenerationSettings()
        settings.ks = [1, 2]
        settings.sentenceGenes = 3
        let metrics = GenerationMetrics.all + [TestCellCountMetric.self]
        let report = try GenerationEvaluation.run(generated: generated, real: real, settings: settings, metrics: metrics)
        let expected = TestCellCountMetric.Value(generated: 3, real: 5, share: 3.0 / 8)

        // Computed, in registry order after the converted metrics, timed as its own stage.
        XCTAssertEqual(report.registered[TestCellCountMetric.self], expected)
        XCTAssertEqual(report.registered.keys, ["sentence_quality", "mmd", "gromov_wasserstein", "test_cell_count"])
        XCTAssertEqual(report.timings.map(\.stage).suffix(3), ["MMD", "Gromov-Wasserstein", "test cell count"])
        XCTAssertEqual(report.warnings.last, "test metric ran in expression space")

        // The JSON holds it under its key, beside the report's own keys.
        let data = try MetricsFile.encode(report)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let written = try XCTUnwrap(object["test_cell_count"] as? [String: Any])
        XCTAssertEqual(written["generated"] as? Int, 3)
        XCTAssertEqual(written["real"] as? Int, 5)
        XCTAssertNotNil(object["mmd"])
        XCTAssertNotNil(object["knn"])
        // Read back with the extended registry it is there; with the built-in one it is not,
        // and the built-in metrics still are.
        let decoder = JSONDecoder()
        decoder.userInfo[.evaluationMetrics] = metrics
        let extended = try decoder.decode(GenerationReport.self, from: data)
        XCTAssertEqual(extended.registered[TestCellCountMetric.self], expected)
        XCTAssertEqual(extended.registered.keys, report.registered.keys)
        XCTAssertEqual(try MetricsFile.encode(extended), data, "reading and writing again gives the same bytes")
        let plain = try JSONDecoder().decode(GenerationReport.self, from: data)
        XCTAssertNil(plain.registered[TestCellCountMetric.self])
        XCTAssertEqual(plain.mmd?.result, report.mmd?.result)
        XCTAssertEqual(plain.sentenceQuality?.metrics, report.sentenceQuality?.metrics)

        // The terminal summary `c2s evaluate generation` prints after the mean profiles.
        let summary = report.registered.summary()
        XCTAssertEqual(summary.last, "test cells: 3 generated, 5 real")
        XCTAssertTrue(summary.first?.hasPrefix("sentences: validity") ?? false, "\(summary)")

        // The headline table (terminal and page) after the converted metrics' figures.
        var inputs = EvaluationReportInputs()
        inputs.generation = report
        let figures = HeadlineFigures.gather(inputs)
        XCTAssertEqual(figures.last, HeadlineFigure("test share of generated cells", 0.375, unit: .share,
                                                    references: [HeadlineReference("equal sets", 0.5)]))
        XCTAssertTrue(figures.contains { $0.name == "validity of generated genes" })
        let lines = HeadlineTable.lines(figures)
        XCTAssertTrue(lines.contains { $0.hasPrefix("test share of generated cells") && $0.contains("37.5%") && $0.contains("equal sets")
                && $0.contains("-12.5 pp") && $0.hasSuffix("not beaten") }, lines.joined(separator: "\n"))

        // The page's table of the generation figures.
        let page = EvaluationReport.build(inputs).render()
        XCTAssertTrue(page.contains("test cells (generated / real)"))
        XCTAssertTrue(page.contains("3 / 5"))
        XCTAssertTrue(page.contains("test share of generated cells"))
    }

    func testAnnotationMetricReachesJSONSummaryHeadlineAndPage() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("predictions.csv")
        try "cell,cell_type,predicted\nc1,T,T\nc2,T,B\nc3,B,B\nc4,B,B\nc5,,B\n".write(toFile: path, atomically: true, encoding: .utf8)
        let metrics = AnnotationMetrics.all + [TestAgreementMetric.self]
        let report = try AnnotationEvaluation.run(path: path, truthColumn: "cell_type", predictedColumn: "predicted", metrics: metrics)
        XCTAssertEqual(report.registered[TestAgreementMetric.self], 0.75)
        XCTAssertEqual(report.registered.summary(), ["test agreement: 75.0%"])

        let data = try MetricsFile.encode(report)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["test_agreement"] as? Double, 0.75)
        XCTAssertNil(object["warnings"], "no metric warned")
        let decoder = JSONDecoder()
        decoder.userInfo[.evaluationMetrics] = metrics
        XCTAssertEqual(try decoder.decode(AnnotationReport.self, from: data).registered[TestAgreementMetric.self], 0.75)
        XCTAssertNil(try JSONDecoder().decode(AnnotationReport.self, from: data).registered[TestAgreementMetric.self])

        var inputs = EvaluationReportInputs()
        inputs.annotations = [("free", report)]
        let figures = HeadlineFigures.gather(inputs)
        XCTAssertEqual(figures.map(\.name), ["annotation accuracy (free)", "annotation weighted F1 (free)", "test agreement (free)"])
        let page = EvaluationReport.build(inputs).render()
        XCTAssertTrue(page.contains("id=\"annotation-metrics-free\""))
        XCTAssertTrue(page.contains("test agreement"))
    }

    func testPerturbationMetricReachesJSONAndSummary() throws {
        let genes = ["A", "B", "C"]
        func cells(_ path: String, _ rows: [[Double]]) -> ExpressionMatrix { table(path, genes: genes, rows: rows, columns: []) }
        let metrics = PerturbationMetrics.all + [TestGeneCountMetric.self]
        let report = try PerturbationEvaluation.run(predicted: cells("p", [[2, 1, 0], [3, 1, 1]]), control: cells("c", [[1, 1, 1], [1, 2, 1]]),
                                                    truth: cells("t", [[3, 1, 0], [2, 0, 1]]), topN: [nil], metrics: metrics)
        XCTAssertEqual(report.registered[TestGeneCountMetric.self], 3)
        XCTAssertEqual(report.registered.summary(), ["test genes: 3"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: MetricsFile.encode(report)) as? [String: Any])
        XCTAssertEqual(object["test_gene_count"] as? Int, 3)
    }
}
