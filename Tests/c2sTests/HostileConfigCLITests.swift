import Foundation
import TestSupport
import XCTest

/// The cases issue 17 found in `config.json`, through the command line: each exits non-zero with
/// one line naming config.json and the key, and writes no output.
final class HostileConfigCLITests: XCTestCase {
    func testHostileRotaryFactorsAndSizesAreOneLineErrors() throws {
        let source = TestPaths.fixtures.appendingPathComponent("lm/pythia_text")
        let original = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        let cases: [(key: String, edit: (inout [String: Any]) -> Void)] = [
            ("partial_rotary_factor", { $0["partial_rotary_factor"] = 4 }),
            ("partial_rotary_factor", { $0["partial_rotary_factor"] = 2 }),
            ("partial_rotary_factor", { $0["partial_rotary_factor"] = -1 }),
            ("hidden_size", { $0["hidden_size"] = 1 << 31 }),
        ]
        for (key, edit) in cases {
            let tmp = try TemporaryFolder()
            let model = tmp.file("model")
            try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
            for entry in try FileManager.default.contentsOfDirectory(atPath: source.path) where entry != "config.json" {
                try FileManager.default.createSymbolicLink(atPath: model + "/" + entry, withDestinationPath: source.appendingPathComponent(entry).path)
            }
            var config = original
            config["rope_parameters"] = nil
            edit(&config)
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: model + "/config.json"))
            let out = tmp.file("out.jsonl")
            let r = try runProcess(TestPaths.c2sExecutable, ["lm", "generate", "--model", model, "--prompt", "The cell", "--max-new-tokens", "2", "-o", out])
            XCTAssertEqual(r.status, 2, "\(key): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("error: \(model)/config.json: ") && r.stderr.contains(key), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }
}
