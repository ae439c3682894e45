import Foundation
import SingleCell
import TestSupport
import XCTest
@testable import C2S

/// `GenesWithinFirst`: the genes among some cell's first N, in the vocabulary's order.
final class GenesWithinFirstTests: XCTestCase {
    func dataset(_ sentences: [String], in tmp: TemporaryFolder) throws -> String {
        try FileManager.default.createDirectory(atPath: tmp.file("ds"), withIntermediateDirectories: true)
        let lines = sentences.enumerated().map { #"{"cell_name":"c\#($0)","cell_sentence":"\#($1)"}"# }
        try (lines.joined(separator: "\n") + "\n").write(toFile: tmp.file("ds/cells.jsonl"), atomically: true, encoding: .utf8)
        return tmp.file("ds")
    }

    func testKeepsTheLeadingGenesInVocabularyOrder() throws {
        let tmp = try TemporaryFolder()
        let ds = try dataset(["A B C D", "E  A F", "G"], in: tmp)
        let vocabulary = ["G", "F", "E", "D", "C", "B", "A", "H"]
        // First two words of each sentence: A B, E A (a double space is not a word), G.
        XCTAssertEqual(try GenesWithinFirst.select(vocabulary, count: 2, dataset: ds), ["G", "E", "B", "A"])
        XCTAssertEqual(try GenesWithinFirst.select(vocabulary, count: 1, dataset: ds), ["G", "E", "A"])
        // N beyond every sentence's length: every gene that occurs; H never does.
        XCTAssertEqual(try GenesWithinFirst.select(vocabulary, count: 50, dataset: ds), ["G", "F", "E", "D", "C", "B", "A"])
        // A gene that is a prefix of another is not matched inside it.
        let other = try TemporaryFolder()
        let prefixed = try dataset(["AB C"], in: other)
        XCTAssertEqual(try GenesWithinFirst.select(["A", "AB"], count: 1, dataset: prefixed), ["AB"])
    }

    func testErrorsNameTheProblem() throws {
        let tmp = try TemporaryFolder()
        let ds = try dataset(["X Y"], in: tmp)
        XCTAssertThrowsError(try GenesWithinFirst.select(["A"], count: 2, dataset: ds)) { error in
            XCTAssertTrue("\(error)".contains("cells.jsonl"), "\(error)")
            XCTAssertTrue("\(error)".contains("first 2 genes"), "\(error)")
        }
        XCTAssertThrowsError(try GenesWithinFirst.select(["X"], count: 0, dataset: ds)) { error in
            XCTAssertTrue("\(error)".contains("at least 1"), "\(error)")
        }
    }
}
