import Evaluation
@testable import Reports
import XCTest

final class NiceTicksTests: XCTestCase {
    func testNiceNumberRoundsToOneTwoFive() {
        XCTAssertEqual(NiceTicks.niceNumber(0.25, round: true), 0.2, accuracy: 1e-15)
        XCTAssertEqual(NiceTicks.niceNumber(0.35, round: true), 0.5, accuracy: 1e-15)
        XCTAssertEqual(NiceTicks.niceNumber(7.5, round: true), 10)
        XCTAssertEqual(NiceTicks.niceNumber(2.88, round: false), 5)
        XCTAssertEqual(NiceTicks.niceNumber(1, round: false), 1)
        XCTAssertEqual(NiceTicks.niceNumber(1100, round: false), 2000)
    }

    func testHeckbertZeroToOne() {
        let t = NiceTicks.heckbert(min: 0, max: 1, count: 5)
        XCTAssertEqual(t.values, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(t.fractionDigits, 1)
        XCTAssertEqual(TickFormatter.labels(t.values, step: t.step), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    func testHeckbertZeroToThreePointSeven() {
        let t = NiceTicks.heckbert(min: 0, max: 3.7, count: 5)
        XCTAssertEqual(t.values, [0, 1, 2, 3, 4])
        XCTAssertEqual(t.lower, 0)
        XCTAssertEqual(t.upper, 4)
        XCTAssertEqual(TickFormatter.labels(t.values, step: t.step), ["0", "1", "2", "3", "4"])
    }

    func testHeckbertAcrossZero() {
        let t = NiceTicks.heckbert(min: -0.2, max: 2.68, count: 5)
        XCTAssertEqual(t.values, [-1, 0, 1, 2, 3])
        // The axis fitter divides the span itself (no rounding of the range first): half steps.
        let axis = NiceTicks.linear(min: -0.2, max: 2.68, count: 7, expand: true)
        XCTAssertEqual(axis.values, [-0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual(TickFormatter.labels(axis.values, step: axis.step),
                       ["\u{2212}0.5", "0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"])
        let inside = NiceTicks.linear(min: -0.2, max: 2.68, count: 7, expand: false)
        XCTAssertEqual(inside.values, [0, 0.5, 1, 1.5, 2, 2.5])
        XCTAssertEqual(inside.lower, -0.2)
    }

    func testLogTicksOverSixDecades() {
        let t = NiceTicks.log10(min: 1, max: 1e6, maxCount: 8, expand: false)
        XCTAssertEqual(t.values, [1, 10, 100, 1e3, 1e4, 1e5, 1e6])
        XCTAssertEqual(TickFormatter.logLabels(t.values), ["1", "10", "100", "1k", "10k", "100k", "1M"])
        XCTAssertTrue(t.isLog)
        XCTAssertEqual(t.minor.count, 6 * 8, "2…9 × each decade below 1e6")
        XCTAssertTrue(t.minor.contains(2) && t.minor.contains(9e5))
    }

    func testLogTicksThinOutManyDecades() {
        let t = NiceTicks.log10(min: 1e-3, max: 1e12, maxCount: 8, expand: false)
        XCTAssertEqual(t.values, [0.01, 1, 100, 1e4, 1e6, 1e8, 1e10, 1e12], "every second decade")
        XCTAssertTrue(t.minor.isEmpty)
        XCTAssertEqual(NiceTicks.log10(min: 1e-3, max: 1e12, maxCount: 6, expand: false).values,
                       [1e-3, 1, 1e3, 1e6, 1e9, 1e12], "every third decade")
        XCTAssertEqual(TickFormatter.logLabels([1e-4, 1e-3, 0.01, 0.1, 1e4, 1e8]),
                       ["1e\u{2212}4", "0.001", "0.01", "0.1", "10k", "100M"])
    }

    func testLogTicksWithinLessThanTwoDecades() {
        XCTAssertEqual(NiceTicks.log10(min: 2, max: 30, maxCount: 8, expand: false).values, [2, 5, 10, 20])
        let expanded = NiceTicks.log10(min: 3, max: 800, maxCount: 8, expand: true)
        XCTAssertEqual(expanded.values, [1, 10, 100, 1000])
        XCTAssertEqual(expanded.lower, 1)
        XCTAssertEqual(expanded.upper, 1000, accuracy: 1e-9)
    }

    func testTickValuesCarryNoFloatingPointNoise() {
        for (lo, hi) in [(0.0, 0.7), (0.1, 0.9), (-3.3, 0.3), (1e-5, 7e-5), (1234.5, 98765.4)] {
            let t = NiceTicks.linear(min: lo, max: hi, count: 8, expand: true)
            XCTAssertGreaterThanOrEqual(t.values.count, 3)
            for v in t.values {
                let text = "\(v)"
                XCTAssertFalse(text.contains("0000000") || text.contains("9999999"), "\(text) in \(lo)…\(hi)")
            }
            XCTAssertLessThanOrEqual(t.lower, lo)
            XCTAssertGreaterThanOrEqual(t.upper, hi)
        }
    }

    func testDegenerateRangesStillGiveTicks() {
        XCTAssertFalse(NiceTicks.heckbert(min: 5, max: 5).values.isEmpty)
        XCTAssertTrue(NiceTicks.heckbert(min: 5, max: 5).values.contains(5))
        XCTAssertEqual(NiceTicks.heckbert(min: 0, max: 0).values.first, -1)
        XCTAssertFalse(NiceTicks.linear(min: .nan, max: 3, count: 5, expand: true).values.isEmpty)
    }
}

final class TickFormatterTests: XCTestCase {
    func testConsistentDecimals() {
        XCTAssertEqual(TickFormatter.labels([0, 0.5, 1, 1.5], step: 0.5), ["0.0", "0.5", "1.0", "1.5"])
        XCTAssertEqual(TickFormatter.labels([-1, 0, 1], step: 1), ["\u{2212}1", "0", "1"])
        XCTAssertEqual(TickFormatter.labels([0, 0.25, 0.5], step: 0.25), ["0.00", "0.25", "0.50"])
        XCTAssertEqual(TickFormatter.labels([2000, 4000, 6000], step: 2000), ["2000", "4000", "6000"])
    }

    func testLargeValuesUseSISuffixes() {
        XCTAssertEqual(TickFormatter.labels([0, 20_000, 40_000], step: 20_000), ["0", "20k", "40k"])
        XCTAssertEqual(TickFormatter.labels([0, 5e5, 1e6, 1.5e6], step: 5e5), ["0", "0.5M", "1.0M", "1.5M"])
        XCTAssertEqual(TickFormatter.compact(123_456), "123.5k")
        XCTAssertEqual(TickFormatter.compact(2e9), "2G")
    }

    func testTinyValuesUseENotation() {
        XCTAssertEqual(TickFormatter.labels([0, 0.0002, 0.0004], step: 0.0002), ["0", "2e\u{2212}4", "4e\u{2212}4"])
        XCTAssertEqual(TickFormatter.compact(0.000123), "1.23e\u{2212}4")
        XCTAssertEqual(TickFormatter.compact(2.68), "2.68")
        XCTAssertEqual(TickFormatter.compact(-0.72), "\u{2212}0.72")
    }

    func testAxisTickLabelsOnAFittedAxis() throws {
        let axis = Axis.fitted(edge: .bottom, data: 0...1, policy: .nice, pixels: (50, 550), title: "fraction")
        XCTAssertEqual(axis.labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        var canvas = SVGCanvas(width: 600, height: 300)
        axis.draw(on: &canvas, plot: PlotRect(x: 50, y: 20, width: 500, height: 220))
        let doc = try XMLSummary.parse(canvas.render())
        XCTAssertEqual(doc.svgTexts, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0", "fraction"])
        XCTAssertEqual(doc.count("line"), 7, "axis line and six ticks")
    }

    func testNarrowAxisDropsTicksRatherThanOverlap() {
        let axis = Axis.fitted(edge: .bottom, data: 0...1_234_567, policy: .nice, pixels: (0, 120))
        XCTAssertGreaterThanOrEqual(axis.ticks.count, 2)
        XCTAssertFalse(axis.labelsCollide())
        let vertical = Axis.fitted(edge: .left, data: 0...3.7, policy: .nice, pixels: (300, 0))
        XCTAssertFalse(vertical.labelsCollide())
        XCTAssertEqual(vertical.scale.domainLower, 0)
        XCTAssertEqual(vertical.scale(0), 300)
    }
}
