import Evaluation
@testable import Reports
import XCTest

/// The tables of the evaluation report.
final class EvaluationReportTests: XCTestCase {
    /// The baseline's F1 sits beside the same class even when the baseline knows a class the
    /// model's table lacks (it came first and shifted every position after it).
    func testPerClassTableMatchesBaselineByLabel() {
        let model = ClassificationMetrics(truth: ["A", "C", "C", "D"], predicted: ["A", "C", "D", "D"])
        let baseline = ClassificationMetrics(truth: ["A", "B", "C", "D"], predicted: ["B", "B", "C", "C"])
        let rows = EvaluationReport.perClassRows(model, baseline: baseline)
        XCTAssertEqual(rows.map { $0[0] }, ["A", "C", "D"])
        let f1 = Dictionary(uniqueKeysWithValues: baseline.perClass.map { ($0.label, $0.f1) })
        for row in rows {
            guard case .text(let label) = row[0] else { return XCTFail("label cell") }
            XCTAssertEqual(row.last, .number(f1[label]!), label)
        }
        XCTAssertEqual(EvaluationReport.perClassRows(model, baseline: nil)[0].count, 6)
    }
}
