import C2S
import Mechanics
import Prompts
import SingleCell
import Transformer
import XCTest

/// Every error the library reports carries its exit code (what `c2s` ends with): 2 for input
/// that cannot be used as given, 3 for data wrong for the task, 4 for a run that diverged.
final class ErrorExitCodeTests: XCTestCase {
    func testEachErrorTypeCarriesItsExitCode() {
        let url = URL(fileURLWithPath: "/x/config.json")
        let cases: [(any C2SError, Int32)] = [
            (FileError("/x/a.h5ad", "no such file"), 2),
            (DataError("no cell left"), 3),
            (ModelError.invalidConfig(url, "bad"), 2),
            (TrainingError.invalidInput("bad"), 2),
            (TrainingError.nonFinite(what: "loss", step: 3, lastCheckpoint: nil), 4),
            (TemplateError("unknown field {x}"), 3),
        ]
        for (error, code) in cases {
            XCTAssertEqual(error.exitCode, code, "\(type(of: error))")
            XCTAssertFalse(error.description.isEmpty)
        }
    }
}
