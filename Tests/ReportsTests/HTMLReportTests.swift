import Evaluation
import Foundation
@testable import Reports
import XCTest

final class HTMLReportTests: XCTestCase {
    private func smallReport() -> HTMLReport {
        var report = HTMLReport(title: "Report <&> title", subtitle: "run \"A\"")
        report.setRunInfo([("c2s", "0.1"), ("input", "a&b.h5ad")])
        report.addSection("Settings")
        report.addParagraph("Line one with <tags> & ampersands.\nLine two.")
        report.addKeyValueTable([("genes", "100"), ("path", "/tmp/<x>")], caption: "Settings", id: "settings")
        report.addSection("Results")
        report.addTable(ReportTable(columns: ["class", "cells", "F1", "share"],
                                    rows: [["B <cells>", 200_000, 0.8941, .percent(0.8321)],
                                           ["T", .integer(12), .number(.nan), .empty]],
                                    caption: "Metrics", id: "metrics"))
        report.addFigure(BarChart(labels: ["a"], values: [1]), id: "fig-bars", caption: "Bars & more")
        report.addFigure(LinePlot(series: [.init(name: "s", y: [1, 2, 3])]), id: "fig-bars", caption: "Same id")
        return report
    }

    func testReportIsWellFormedXHTMLWithEveryPart() throws {
        let html = smallReport().render()
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        let doc = try XMLSummary.parse(html)
        XCTAssertEqual(doc.elements.first?.name, "html")
        XCTAssertEqual(doc.elements.first?.attributes["xmlns"], "http://www.w3.org/1999/xhtml")
        XCTAssertEqual(doc.count("svg"), 2)
        XCTAssertEqual(doc.count("figure"), 2)
        XCTAssertEqual(doc.with("id", "fig-bars").count, 1)
        XCTAssertEqual(doc.with("id", "fig-bars-2").count, 1, "duplicate figure ids are made unique")
        XCTAssertEqual(doc.with("id", "metrics").first?.name, "table")
        XCTAssertEqual(doc.with("id", "settings").first?.name, "section")
        XCTAssertEqual(doc.with("id", "settings-2").first?.name, "table", "ids are unique across the page")
        XCTAssertEqual(doc.count("table"), 2)
        XCTAssertEqual(doc.elements("h1").first?.text, "Report <&> title")
        XCTAssertEqual(doc.elements("title").first?.text, "Report <&> title")
        XCTAssertEqual(doc.count("style"), 1)
        XCTAssertEqual(doc.count("script"), 0)
        XCTAssertEqual(doc.count("link"), 0, "no external resources")
        XCTAssertFalse(html.contains("src=") || html.contains("http://fonts"))
        let cells = doc.elements("td").map(\.text)
        XCTAssertEqual(cells, ["100", "/tmp/<x>", "B <cells>", "200,000", "0.894", "83.2%", "T", "12", "—", ""])
        XCTAssertEqual(doc.elements("td").filter { $0.attributes["class"] == "num" }.count, 6)
        XCTAssertTrue(doc.elements("figcaption").map(\.fullText).contains("Figure 1. Bars & more"))
        XCTAssertTrue(doc.elements("p").map(\.fullText).contains("Line one with <tags> & ampersands.Line two."))
        XCTAssertEqual(doc.count("br"), 1)
        XCTAssertEqual(doc.elements("a").compactMap { $0.attributes["href"] }, ["#settings", "#results"])
    }

    func testWriteCreatesTheFolderAndReplacesAtomically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("c2s-report-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("nested/report.html").path
        let report = smallReport()
        try report.write(to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), report.render())
        var second = report
        second.addParagraph("more")
        try second.write(to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), second.render())
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("nested").path)
        XCTAssertEqual(leftovers, ["report.html"], "no temporary files left behind")
    }

    func testWriteFailureNamesThePath() throws {
        let blocker = FileManager.default.temporaryDirectory.appendingPathComponent("c2s-blocker-\(getpid())")
        try Data("x".utf8).write(to: blocker)
        defer { try? FileManager.default.removeItem(at: blocker) }
        let path = blocker.path + "/sub/report.html"
        XCTAssertThrowsError(try HTMLReport(title: "t").write(to: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
        }
    }

    func testNumberFormatting() {
        XCTAssertEqual(ReportNumberFormat.integer(200_000), "200,000")
        XCTAssertEqual(ReportNumberFormat.integer(-1234), "\u{2212}1,234")
        XCTAssertEqual(ReportNumberFormat.integer(12), "12")
        XCTAssertEqual(ReportNumberFormat.number(2.6812), "2.68")
        XCTAssertEqual(ReportNumberFormat.number(-0.7213), "\u{2212}0.721")
        XCTAssertEqual(ReportNumberFormat.number(12.345), "12.3")
        XCTAssertEqual(ReportNumberFormat.number(1234.56), "1,235")
        XCTAssertEqual(ReportNumberFormat.number(0.000023), "2.30e\u{2212}5")
        XCTAssertEqual(ReportNumberFormat.number(0), "0")
        XCTAssertEqual(ReportNumberFormat.number(.nan), "—")
        XCTAssertEqual(ReportNumberFormat.percent(0.8321), "83.2%")
        XCTAssertEqual(ReportNumberFormat.fixed(1234.5, decimals: 2), "1,234.50")
        XCTAssertEqual(ReportNumberFormat.fixed(-1234567.891, decimals: 1), "\u{2212}1,234,567.9")
        XCTAssertEqual(ReportNumberFormat.fixed(999.5, decimals: 0), "1,000")
        XCTAssertEqual(ReportValue.number(0.9).formatted(decimals: 3), "0.900")
    }

    func testSlugs() {
        XCTAssertEqual(HTMLReport.slug("Inverse transform fit"), "inverse-transform-fit")
        XCTAssertEqual(HTMLReport.slug("  Über <&> 2 "), "ber-2")
        XCTAssertEqual(HTMLReport.slug("3 results"), "id-3-results")
    }
}
