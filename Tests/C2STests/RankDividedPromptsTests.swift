import Foundation
import SingleCell
import TestSupport
import Transformer
import XCTest
@testable import C2S

/// A prompt file divided among the ranks of a data-parallel run (ranks as threads here; under
/// `mpirun` in `DataParallelCLITests`): every rank must end with what one process reads.
final class RankDividedPromptsTests: XCTestCase {
    /// Every line of `path` with its number, read through `parts` shares numbered as the ranks number them.
    func linesByShares(_ path: String, parts: Int, blockSize: Int) throws -> [[String]] {
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber).uint64Value
        let ranges = (0..<parts).map { TextFileShare.bytes(part: $0, of: parts, size: size) }
        let counted = try ranges.map { try TextFileLines.lineEnds(path: path, in: TextFileShare.countedLineEnds(of: $0), blockSize: blockSize) }
        return try ranges.indices.map { k in
            let share = TextFileShare(bytes: ranges[k], firstLine: TextFileShare.firstLine(start: ranges[k].lowerBound, lineEndsBefore: counted[..<k].reduce(0, +)))
            var lines: [String] = []
            try TextFileLines.forEach(path: path, share: share, blockSize: blockSize) { lines.append("\($1): \($0)") }
            return lines
        }
    }

    func testSharesHandOverEveryLineOnceWithTheNumberOfTheWholeFile() throws {
        let tmp = try TemporaryFolder()
        var random = SeededPicks(seed: 5)
        let pieces = ["a", "bc", "déf", "", "  ", "\r", "ghij klm", String(repeating: "x", count: 40)]
        for trial in 0..<40 {
            var text = ""
            for _ in 0..<random.below(25) {
                text += pieces[random.below(pieces.count)] + pieces[random.below(pieces.count)]
                text += random.below(5) == 0 ? "\r\n" : "\n"
            }
            if random.below(2) == 0 { text += pieces[random.below(pieces.count)] }  // a last line without its end
            let path = tmp.file("t\(trial).txt")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            var whole: [String] = []
            try TextFileLines.forEach(path: path) { whole.append("\($1): \($0)") }
            for parts in [1, 2, 3, 5, 8] {
                for blockSize in [1, 3, 64] {
                    let shares = try linesByShares(path, parts: parts, blockSize: blockSize)
                    XCTAssertEqual(shares.flatMap { $0 }, whole, "trial \(trial), \(parts) parts, reads of \(blockSize): \(text.debugDescription)")
                }
            }
        }
    }

    /// A prompt file of `count` records in three splits and two tasks, with blank lines, some
    /// inputs long enough to be truncated, and `format` on every record.
    static func writePrompts(_ path: String, count: Int, format: (Int) -> String? = { _ in nil }, broken: Int? = nil) throws {
        var random = SeededPicks(seed: 9)
        var lines: [String] = []
        for i in 0..<count {
            if i == broken { lines.append("{\"task\": \"cell_type_prediction\", \"split\": \"train\"") }
            let task = i % 3 == 0 ? "cell_type_generation" : "cell_type_prediction"
            // Some inputs too long for the context (truncated); responses always fit.
            let long = task == "cell_type_prediction" && i % 7 == 0
            let genes = (0..<(2 + random.below(long ? 60 : 6))).map { _ in "G\(random.below(40))" }.joined(separator: " ")
            let split = ["train", "train", "train", "validation", "test"][random.below(5)]
            var object: [String: Any] = ["task": task, "split": split, "cell_name": "cell\(i)",
                                         "model_input": task == "cell_type_prediction" ? "Genes: \(genes). Cell type:" : "Cell type T\(i % 4):",
                                         "response": task == "cell_type_prediction" ? "T\(i % 4)" : genes]
            if let f = format(i) { object["prompt_format"] = f }
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            if i % 11 == 5 { lines.append("") }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    struct Read: Equatable {
        var train: [String], validation: [String]
        var trainReport: TruncationReport, validationReport: TruncationReport
        var counts: [String: Int], format: String?, seen: TrainingTasksSeen
    }

    static func read(_ path: String, validationLimit: Int?, group: any Communicator) throws -> Read {
        let tokenizer = try Tokenizer.load(folder: TestPaths.fixtures.appendingPathComponent("tokenizers/gpt-neox"))
        let p = try StreamedPrompts.read(path: path, split: "train", validationSplit: "validation", validationLimit: validationLimit,
                                         seen: TrainingTasksSeen(conditionedCells: true, cellNames: true), group: group) { join in
            PromptEncoder(tokenizer: tokenizer, eosTokenID: tokenizer.eosTokenID!, maxLength: 40, join: join)
        }
        func all(_ f: TokenizedExampleFile) throws -> [String] {
            var out: [String] = []
            try f.forEachExample { out.append("\($0.tokens) \($0.lossStart) \($0.task ?? "-")") }
            return out
        }
        return Read(train: try all(p.train), validation: try all(p.validation), trainReport: p.trainReport,
                    validationReport: p.validationReport, counts: p.splitCounts, format: p.promptFormat, seen: p.seen)
    }

    func testRanksEndWithTheExamplesAndFiguresOfOneProcess() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("prompts.jsonl")
        try Self.writePrompts(path, count: 230)
        for limit in [nil, 9] as [Int?] {
            let single = try Self.read(path, validationLimit: limit, group: SingleProcess())
            XCTAssertGreaterThan(single.train.count, 100)
            XCTAssertGreaterThan(single.trainReport.truncated, 0, "some examples are truncated")
            XCTAssertEqual(single.validation.count, limit ?? single.counts["validation"])
            for ranks in [2, 3, 7] {
                let reads = try ThreadRanks.onRanks(ranks) { group in try Self.read(path, validationLimit: limit, group: group) }
                for (rank, r) in reads.enumerated() { XCTAssertEqual(r, single, "rank \(rank) of \(ranks), validation limit \(String(describing: limit))") }
            }
        }
        // More ranks than lines: some shares are empty.
        let small = tmp.file("small.jsonl")
        try Self.writePrompts(small, count: 3)
        let single = try Self.read(small, validationLimit: nil, group: SingleProcess())
        for r in try ThreadRanks.onRanks(6, { group in try Self.read(small, validationLimit: nil, group: group) }) { XCTAssertEqual(r, single) }
    }

    /// Every rank fails with the error one process meets first, whichever rank's share holds it.
    func testEveryRankReportsTheErrorOneProcessMeetsFirst() throws {
        let tmp = try TemporaryFolder()
        let cases: [(String, (String) throws -> Void, String)] = [
            ("broken line near the end", { try Self.writePrompts($0, count: 200, broken: 190) }, "line"),
            ("format changing in the second half", { try Self.writePrompts($0, count: 200, format: { $0 < 120 ? nil : "cell2sentence" }) }, "mixes prompt formats"),
            ("unknown format on the first line only", { try Self.writePrompts($0, count: 50, format: { $0 == 0 ? "nonesuch" : nil }) }, "unknown prompt format"),
            ("blank lines only", { try "\n  \n\n".write(toFile: $0, atomically: true, encoding: .utf8) }, "has no examples"),
        ]
        for (name, write, needle) in cases {
            let path = tmp.file(name.replacingOccurrences(of: " ", with: "-") + ".jsonl")
            try write(path)
            var expected = ""
            XCTAssertThrowsError(try Self.read(path, validationLimit: nil, group: SingleProcess())) { expected = "\($0)" }
            XCTAssertTrue(expected.contains(needle), "\(name): \(expected)")
            for ranks in [2, 3] {
                let outcomes = try ThreadRanks.onRanks(ranks) { group -> String in
                    do { _ = try Self.read(path, validationLimit: nil, group: group); return "no error" } catch { return "\(error)" }
                }
                XCTAssertEqual(outcomes, Array(repeating: expected, count: ranks), "\(name), \(ranks) ranks")
            }
        }
    }
}

/// A small seeded generator (SplitMix64) for the test's files.
struct SeededPicks {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func below(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
