import Evaluation
@testable import Reports
import XCTest

final class SVGCanvasTests: XCTestCase {
    func testNumbersAreCompact() {
        XCTAssertEqual(SVGNumber.format(1.0000000001), "1")
        XCTAssertEqual(SVGNumber.format(0.30000000000000004), "0.3")
        XCTAssertEqual(SVGNumber.format(12.5), "12.5")
        XCTAssertEqual(SVGNumber.format(-3.14159), "-3.14")
        XCTAssertEqual(SVGNumber.format(-0.001), "0")
        XCTAssertEqual(SVGNumber.format(100), "100")
        XCTAssertEqual(SVGNumber.format(0.05), "0.05")
        XCTAssertEqual(SVGNumber.format(2.675, decimals: 3), "2.675")
        XCTAssertEqual(SVGNumber.format(.nan), "0")
        XCTAssertEqual(SVGNumber.format(1e-7), "0")
    }

    func testEscaping() {
        XCTAssertEqual(XMLEscaping.escape("<&>\"'"), "&lt;&amp;&gt;&quot;&#39;")
        XCTAssertEqual(XMLEscaping.escape("plain text"), "plain text")
        XCTAssertEqual(XMLEscaping.escape("a\u{1}b\u{FFFE}c\td"), "abc\td", "characters XML forbids are dropped")
        XCTAssertEqual(XMLEscaping.escape("CD14+ Mono · é"), "CD14+ Mono · é")
    }

    func testCanvasIsWellFormedWithEveryElement() throws {
        var svg = SVGCanvas(width: 300, height: 200)
        let clip = svg.clipRect(x: 10, y: 10, width: 280, height: 180)
        svg.group(cssClass: "data", clipPath: clip) { g in
            g.rect(x: 10, y: 10, width: 50, height: 20, style: .filled(.black), title: "box <&>")
            g.line(x1: 0, y1: 0, x2: 100, y2: 100, style: .stroked(.black, width: 2, dash: [4, 2]))
            g.polyline([(0, 0), (10, 5), (20, 0)], style: .stroked(.black))
            var p = SVGPath()
            p.move(to: 0, 0)
            p.line(to: 10, 10)
            p.closePath()
            g.path(p, style: .filled(.white))
            g.circle(cx: 5, cy: 5, r: 2, style: .filled(.black))
        }
        svg.text("label <&> \"quoted\"", x: 150, y: 100, anchor: .middle, baseline: .middle, rotation: -90)
        let markup = svg.render(title: "A & B")
        XCTAssertTrue(markup.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"200\" viewBox=\"0 0 300 200\""))
        let doc = try XMLSummary.parse(markup)
        for name in ["rect", "line", "polyline", "path", "circle", "text", "clipPath", "g"] {
            XCTAssertGreaterThanOrEqual(doc.count(name), 1, name)
        }
        XCTAssertEqual(doc.svgTexts, ["label <&> \"quoted\""])
        XCTAssertEqual(doc.elements("title").map(\.text), ["A & B", "box <&>"])
        let text = doc.elements("text")[0]
        XCTAssertEqual(text.attributes["transform"], "rotate(-90 150 100)")
        XCTAssertEqual(text.attributes["text-anchor"], "middle")
        // The clip path is defined once and referenced by its id.
        let id = try XCTUnwrap(doc.elements("clipPath").first?.attributes["id"])
        XCTAssertEqual(doc.classed("data").first?.attributes["clip-path"], "url(#\(id))")
        XCTAssertFalse(markup.contains("\u{1}"))
    }

    func testIDsDifferBetweenFiguresAndAreStable() {
        func figure(_ w: Double) -> String {
            var svg = SVGCanvas(width: 100, height: 100)
            let clip = svg.clipRect(x: 0, y: 0, width: w, height: 50)
            svg.group(clipPath: clip) { $0.rect(x: 0, y: 0, width: 10, height: 10, style: .filled(.black)) }
            return svg.render()
        }
        XCTAssertEqual(figure(40), figure(40))
        XCTAssertNotEqual(figure(40), figure(41))
        let id40 = figure(40).components(separatedBy: "clipPath id=\"")[1].prefix(while: { $0 != "\"" })
        let id41 = figure(41).components(separatedBy: "clipPath id=\"")[1].prefix(while: { $0 != "\"" })
        XCTAssertNotEqual(id40, id41)
        var fixed = SVGCanvas(width: 10, height: 10)
        _ = fixed.clipRect(x: 0, y: 0, width: 1, height: 1)
        XCTAssertTrue(fixed.render(idPrefix: "fig 1").contains("id=\"fig1-clip0\""))
    }

    func testTextWidthEstimateAndTruncation() {
        let w = TextMetrics.width("0123456789", size: 10)
        XCTAssertEqual(w, 10 * 5.56 * TextMetrics.fallbackFactor, accuracy: 0.01)
        XCTAssertGreaterThan(TextMetrics.width("WWW", size: 12), TextMetrics.width("iii", size: 12))
        let cut = TextMetrics.truncate("FCGR3A+ Monocytes and friends", toWidth: 80, size: 12)
        XCTAssertTrue(cut.hasSuffix("…"))
        XCTAssertLessThanOrEqual(TextMetrics.width(cut, size: 12), 80)
        XCTAssertEqual(TextMetrics.truncate("B cells", toWidth: 80, size: 12), "B cells")
    }
}
