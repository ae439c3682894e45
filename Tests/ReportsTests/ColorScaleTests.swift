import Evaluation
import Foundation
@testable import Reports
import XCTest

final class ColorScaleTests: XCTestCase {
    func testViridisEndpointsAndMiddle() {
        XCTAssertEqual(Colormap.viridis.stops.count, 256)
        XCTAssertEqual(Colormap.viridis.color(at: 0).hex, "#440154")
        XCTAssertEqual(Colormap.viridis.color(at: 1).hex, "#fde725")
        XCTAssertEqual(Colormap.viridis.color(at: -3).hex, "#440154", "clamped below")
        XCTAssertEqual(Colormap.viridis.color(at: 7).hex, "#fde725", "clamped above")
        let mid = Colormap.viridis.color(at: 0.5)  // matplotlib: #21918c
        XCTAssertEqual(Double(mid.red), 0x21, accuracy: 2)
        XCTAssertEqual(Double(mid.green), 0x91, accuracy: 2)
        XCTAssertEqual(Double(mid.blue), 0x8C, accuracy: 2)
        XCTAssertEqual(Colormap.blues.color(at: 0).hex, "#f7fbff")
        XCTAssertEqual(Colormap.blues.color(at: 1).hex, "#08306b")
    }

    func testLogScaleForCounts() {
        let s = SequentialColorScale.logCounts(max: 1000)
        XCTAssertEqual(s.position(of: 1), 0)
        XCTAssertEqual(s.position(of: 1000), 1)
        XCTAssertEqual(s.position(of: pow(10, 1.5))!, 0.5, accuracy: 1e-9)
        XCTAssertNil(s.color(for: 0), "empty bins have no colour")
        XCTAssertEqual(s.color(for: 1)?.hex, "#440154")
        XCTAssertEqual(s.color(for: 5000)?.hex, "#fde725")
        XCTAssertEqual(SequentialColorScale.logCounts(max: 3).upper, 10, "at least one decade")
    }

    func testLinearScaleClamps() {
        let s = SequentialColorScale(lower: 0, upper: 2)
        XCTAssertEqual(s.position(of: -5), 0)
        XCTAssertEqual(s.position(of: 1), 0.5)
        XCTAssertEqual(s.position(of: 9), 1)
        XCTAssertNil(s.position(of: .nan))
    }

    func testCategoricalPaletteHasManyDistinctColours() {
        let colors = CategoricalPalette.colors
        XCTAssertGreaterThanOrEqual(colors.count, 12)
        XCTAssertEqual(Set(colors).count, colors.count)
        let okabeIto: Set<String> = ["#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"]
        XCTAssertEqual(Set(colors.prefix(8).map(\.hex)), okabeIto)
        XCTAssertEqual(CategoricalPalette.color(colors.count), colors[0], "cycles")
        // Neighbouring colours differ clearly (no two nearly equal shades).
        for i in 0..<colors.count {
            for j in (i + 1)..<colors.count {
                let a = colors[i], b = colors[j]
                let d = abs(Int(a.red) - Int(b.red)) + abs(Int(a.green) - Int(b.green)) + abs(Int(a.blue) - Int(b.blue))
                XCTAssertGreaterThan(d, 60, "\(a) vs \(b)")
            }
        }
    }

    func testTextColourContrastsWithCell() {
        XCTAssertEqual(Colormap.viridis.color(at: 0).contrastingText, .white)
        XCTAssertEqual(Colormap.viridis.color(at: 1).contrastingText, .textDark)
        XCTAssertEqual(RGBColor(hexString: "#0072B2"), RGBColor(hex: 0x0072B2))
        XCTAssertNil(RGBColor(hexString: "#12345"))
    }
}
