import Evaluation
import Foundation
import Reports
import XCTest

final class SampleReportTests: XCTestCase {
    /// Builds the sample report with every figure type and checks it parses. Set
    /// `C2S_EVAL_SAMPLE_DIR` to keep `report.html` there (for looking at it in a browser).
    func testSampleReportIsWellFormedAndWritten() throws {
        let report = SampleReport.make()
        let html = report.render()
        let doc = try XMLSummary.parse(html)
        for id in ["fig-fit-density", "fig-reconstruction", "fig-umap", "fig-loss", "fig-confusion", "fig-f1",
                   "fit-table", "class-metrics", "settings-table"] {
            XCTAssertEqual(doc.with("id", id).count, 1, "missing or duplicate id \(id)")
        }
        XCTAssertEqual(doc.count("svg"), 6)
        XCTAssertEqual(doc.count("figcaption"), 6)
        // Clip-path ids must be unique across the page.
        let clipIDs = doc.elements("clipPath").compactMap { $0.attributes["id"] }
        XCTAssertEqual(Set(clipIDs).count, clipIDs.count)
        XCTAssertLessThan(html.utf8.count, 3_000_000, "the page should stay light")

        let dir = ProcessInfo.processInfo.environment["C2S_EVAL_SAMPLE_DIR"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("c2s-eval-\(getpid())").path
        let path = dir + "/report.html"
        try report.write(to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), html)
        if ProcessInfo.processInfo.environment["C2S_EVAL_SAMPLE_DIR"] == nil {
            try FileManager.default.removeItem(atPath: dir)
        }
    }
}
