import Foundation
import TestSupport
@testable import Transformer
import XCTest

/// A checkpoint whose weights hold NaN or infinity is refused at load, naming the folder and the
/// tensor, instead of giving NaN answers that look like results (issue 17).
final class DamagedWeightsTests: XCTestCase {
    func testNonFiniteWeightsAreRefusedAtLoad() throws {
        let source = TestPaths.fixtures.appendingPathComponent("lm/gpt_neox")
        let config = try ConfigFile(url: source.appendingPathComponent("config.json")).values
        for bad in [Float.nan, Float.infinity] {
            let model = try ModelLoader.load(folder: source)
            XCTAssertNil(model.parameters.firstNonFinite())
            let name = model.parameters.specs[3].name
            model.parameters.pointer(name)[5] = bad
            XCTAssertEqual(model.parameters.firstNonFinite()?.name, name)
            XCTAssertEqual(model.parameters.firstNonFinite()?.index, 5)
            let tmp = try TemporaryFolder()
            try ModelFolderContents(config: config).write(model.parameters, to: tmp.path)
            XCTAssertThrowsError(try ModelLoader.load(folder: URL(fileURLWithPath: tmp.path))) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(tmp.path) && text.contains(name) && text.contains("NaN or infinite"), text)
            }
        }
    }
}
