@testable import C2S
import Foundation
import Prompts
import TestSupport
import XCTest

/// The merge of the sources' prompt lines: every line once, each source's lines in their own
/// order, the sources mixed all along the file, the same order for the same seed.
final class CorpusInterleavingTests: XCTestCase {
    func merged(_ parts: [[String]], seed: UInt64, in tmp: TemporaryFolder) throws -> [String] {
        var paths: [String] = []
        for (i, lines) in parts.enumerated() {
            paths.append(tmp.file("part-\(i)"))
            try lines.map { $0 + "\n" }.joined().write(toFile: paths[i], atomically: true, encoding: .utf8)
        }
        let out = tmp.file("merged-\(seed)")
        let writer = try PromptWriter(path: out, displayPath: out)
        try CorpusInterleaving.merge(parts: paths, counts: parts.map(\.count), seed: seed, into: writer)
        try writer.close()
        return try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func testEveryLineOnceInItsSourcesOrderAndTheSourcesMixedThroughout() throws {
        let tmp = try TemporaryFolder()
        let parts = [(0..<600).map { "a\($0)" }, (0..<300).map { "b\($0)" }, (0..<100).map { "c\($0)" }]
        let lines = try merged(parts, seed: 3, in: tmp)
        XCTAssertEqual(lines.count, 1000)
        for part in parts {
            XCTAssertEqual(lines.filter { $0.first == part[0].first }, part, "each source's lines keep their order")
        }
        // Every tenth of the file holds every source, near its share (60/30/10 %).
        for start in stride(from: 0, to: 1000, by: 100) {
            let block = lines[start..<(start + 100)]
            let a = block.filter { $0.hasPrefix("a") }.count, c = block.filter { $0.hasPrefix("c") }.count
            XCTAssertTrue((40...80).contains(a) && (1...25).contains(c), "lines \(start)...: a \(a), c \(c)")
        }
        XCTAssertEqual(try merged(parts, seed: 3, in: tmp), lines, "the same seed gives the same order")
        XCTAssertNotEqual(try merged(parts, seed: 4, in: tmp), lines)
    }

    func testAPartShorterThanItsCountIsAnError() throws {
        let tmp = try TemporaryFolder()
        try "x\n".write(toFile: tmp.file("short"), atomically: true, encoding: .utf8)
        let writer = try PromptWriter(path: tmp.file("out"), displayPath: tmp.file("out"))
        XCTAssertThrowsError(try CorpusInterleaving.merge(parts: [tmp.file("short")], counts: [2], seed: 0, into: writer)) {
            XCTAssertTrue("\($0)".hasPrefix(tmp.file("short")), "\($0)")
        }
    }
}
