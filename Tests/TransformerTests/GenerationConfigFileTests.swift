import Foundation
import TestSupport
import Transformer
import XCTest

/// `generation_config.json`: its end-of-sequence ids join the config's, and a damaged file is
/// an error naming it rather than ignored.
final class GenerationConfigFileTests: XCTestCase {
    func testStopTokensAddTheFileEOSIdsAfterTheConfigs() throws {
        let tmp = try TemporaryFolder()
        let folder = URL(fileURLWithPath: tmp.path)
        // No file: the config's ids alone.
        XCTAssertNil(try GenerationConfigFile.read(folder: folder))
        XCTAssertEqual(try GenerationConfigFile.stopTokens([2], folder: folder), [2])

        try #"{"eos_token_id": [1, 2, 107], "temperature": 0.7}"#.write(toFile: tmp.file("generation_config.json"), atomically: true, encoding: .utf8)
        let file = try XCTUnwrap(try GenerationConfigFile.read(folder: folder))
        XCTAssertEqual(file.eosTokenIDs, [1, 2, 107])
        XCTAssertEqual(file.values["temperature"] as? Double, 0.7)
        XCTAssertEqual(try GenerationConfigFile.stopTokens([2], folder: folder), [2, 1, 107])
    }

    func testDamagedFileIsAnErrorNamingIt() throws {
        let tmp = try TemporaryFolder()
        try #"{"eos_token_id": "#.write(toFile: tmp.file("generation_config.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GenerationConfigFile.stopTokens([0], folder: URL(fileURLWithPath: tmp.path))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(tmp.file("generation_config.json")) && text.contains("is not a JSON object"), text)
        }
    }
}
