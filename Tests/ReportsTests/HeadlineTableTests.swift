import Evaluation
import Foundation
@testable import Reports
import XCTest

/// Headline figures beside their references: differences in the figure's unit, floors beaten
/// or not, the share of a ceiling reached, and the same rows on the page and the terminal.
final class HeadlineTableTests: XCTestCase {
    let accuracy = HeadlineFigure("annotation accuracy (x)", 0.8, unit: .share, references: [
        HeadlineReference("chance (1/10 classes)", 0.1),
        HeadlineReference("logistic regression on 2000 HVGs", 0.9),
    ])
    let knn = HeadlineFigure("generated cells' k-NN accuracy (expression, k=10)", 0.2, unit: .share, references: [
        HeadlineReference("chance (1/types)", 0.2),
        HeadlineReference("real vs real (leave-one-out)", 0.8, kind: .ceiling),
    ])
    let gap = HeadlineFigure("label swap gap", -1.5, unit: .nats, references: [HeadlineReference("a model that ignores the label", 0)])
    let loss = HeadlineFigure("final validation loss (step 800)", 2.25, unit: .number)

    func testRowsSayWhetherEachReferenceIsReached() {
        let rows = HeadlineTable.rows([accuracy, knn, gap, loss])
        XCTAssertEqual(rows.count, 2 + 2 + 1 + 1, "one row per reference, one for a figure without")
        XCTAssertEqual(rows[0], ["annotation accuracy (x)", "80.0%", "chance (1/10 classes)", "10.0%", "+70.0 pp", "beaten"])
        XCTAssertEqual(rows[1], ["", "", "logistic regression on 2000 HVGs", "90.0%", "-10.0 pp", "not beaten"])
        XCTAssertEqual(rows[2][5], "not beaten", "equal to chance is not beating it")
        XCTAssertEqual(rows[3][2...5], ["real vs real (leave-one-out)", "80.0%", "-60.0 pp", "25% of it reached"])
        XCTAssertEqual(rows[4][1], "-1.5 nats")
        XCTAssertEqual(rows[4][5], "not beaten")
        XCTAssertEqual(rows[5], ["final validation loss (step 800)", "2.25", "-", "", "", ""])
    }

    func testTerminalLinesLineUpAndMatchThePageTable() {
        let figures = [accuracy, knn]
        let lines = HeadlineTable.lines(figures)
        XCTAssertEqual(lines.count, 1 + 4)
        XCTAssertTrue(lines[0].hasPrefix("figure"))
        // Each column starts at the same offset on every line that has text in it.
        let referenceColumn = lines[0].range(of: "reference")!.lowerBound.utf16Offset(in: lines[0])
        for line in lines.dropFirst() {
            let start = line.range(of: line.contains("chance") ? "chance" : line.contains("real vs real") ? "real vs real" : "logistic")!
            XCTAssertEqual(start.lowerBound.utf16Offset(in: line), referenceColumn, line)
        }
        let table = HeadlineTable.reportTable(figures, id: "headline-table")
        XCTAssertEqual(table.columns, HeadlineTable.columns)
        XCTAssertEqual(table.rows.map { $0.map { $0.formatted(decimals: nil) } }, HeadlineTable.rows(figures))
    }
}
