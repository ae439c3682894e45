import Foundation
import TestSupport
import Transformer
import XCTest
@testable import C2S

/// Prompts in a published checkpoint's format are joined for training as cell2sentence 1.2.0's
/// `tokenize_loss_on_response` joins them (fixture: scripts/fixtures/make_training_join_fixtures.py,
/// the reference function itself on the reference's prompts of real kang cells).
final class TrainingJoinParityTests: XCTestCase {
    struct Case: Decodable {
        var tokenizer: String
        var task: String
        var model_input: String
        var response: String
        var input_ids: [Int32]
        var labels: [Int32]
    }

    struct Fixture: Decodable { var cases: [Case] }

    func testTokensAndLossMatchTheReference() throws {
        let root = try loadGzipJSON("prompts/training_join.json.gz")
        let cases = try JSONDecoder().decode(Fixture.self, from: JSONSerialization.data(withJSONObject: root)).cases
        XCTAssertEqual(Set(cases.map(\.tokenizer)), ["gpt-neox", "gemma"])
        XCTAssertEqual(Set(cases.map(\.task)).count, 5)
        for (name, group) in Dictionary(grouping: cases, by: \.tokenizer) {
            let tok = try Tokenizer.load(folder: TestPaths.fixtures.appendingPathComponent("tokenizers/\(name)"))
            let eos = try XCTUnwrap(tok.eosTokenID)
            let records = group.enumerated().map { i, c in
                PromptRecord(task: c.task, split: "train", cellNames: ["c\(i)"], modelInput: c.model_input, response: c.response,
                             promptFormat: "cell2sentence", line: i + 1)
            }
            let join = try PromptJoin.of(format: "cell2sentence")
            XCTAssertEqual(join, .separate)
            let encoded = try PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: 100_000, join: join).encode(records, path: "p.jsonl")
            XCTAssertEqual(encoded.report.boundaryByDecoding, 0)
            for (c, example) in zip(group, encoded.examples) {
                var reference = c.input_ids
                let responseStart = try XCTUnwrap(c.labels.firstIndex { $0 != -100 })
                // The reference tokenizes the response with the tokenizer's special tokens: Gemma's
                // `<bos>` before every response, which c2s leaves out (PromptJoin.separate says why).
                if name == "gemma" {
                    XCTAssertEqual(reference[responseStart], tok.bosTokenID, "\(c.task): the reference's second BOS")
                    reference.remove(at: responseStart)
                } else {
                    XCTAssertNotEqual(reference[responseStart], tok.bosTokenID)
                }
                XCTAssertEqual(example.tokens, reference, "\(name) \(c.task)")
                XCTAssertEqual(example.lossStart, responseStart, "\(name) \(c.task)")
            }
        }
    }

    func testTruncationKeepsTheSeparateJoin() throws {
        let tok = try Tokenizer.load(folder: TestPaths.fixtures.appendingPathComponent("tokenizers/gemma"))
        let eos = try XCTUnwrap(tok.eosTokenID)
        let genes = (0..<80).map { "GENE\($0)" }.joined(separator: " ")
        let input = "The following is a list of 80 gene names ordered by descending expression level in a Homo sapiens cell. Your task is to give the cell type which this cell belongs to based on its gene expression.\nCell sentence: \(genes).\nThe cell type corresponding to these genes is:"
        let start = input.unicodeScalars.distance(from: input.unicodeScalars.startIndex, to: input.range(of: genes)!.lowerBound)
        let record = PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["c"], modelInput: input, response: "CD14 Mono.",
                                  sentenceSpans: [start..<(start + genes.unicodeScalars.count)], promptFormat: "cell2sentence", line: 1)
        let full = try PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: 100_000, join: .separate).encode([record], path: "p")
        let limit = full.examples[0].tokens.count - 40
        let cut = try PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: limit, join: .separate).encode([record], path: "p")
        let example = cut.examples[0]
        XCTAssertLessThanOrEqual(example.tokens.count, limit)
        XCTAssertEqual(cut.report.truncatedBySentence, 1)
        // Still: the shortened input's own tokens, then the response's without a BOS, then EOS.
        let response = tok.encode("CD14 Mono.", addSpecialTokens: false) + [eos]
        XCTAssertEqual(Array(example.tokens[example.lossStart...]), response)
        XCTAssertEqual(example.tokens.filter { $0 == tok.bosTokenID }.count, 1)
        XCTAssertEqual(example.tokens.first, tok.bosTokenID)
    }

    func testAFileOfMixedFormatsIsRefused() throws {
        func r(_ format: String?, _ line: Int) -> PromptRecord {
            PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["c"], modelInput: "x", response: "y", promptFormat: format, line: line)
        }
        XCTAssertNil(try PromptDataset.promptFormat(of: [r(nil, 1), r(nil, 2)], path: "p.jsonl"))
        XCTAssertEqual(try PromptDataset.promptFormat(of: [r("c2s-scale", 1), r("c2s-scale", 2)], path: "p.jsonl"), "c2s-scale")
        XCTAssertThrowsError(try PromptDataset.promptFormat(of: [r("cell2sentence", 1), r(nil, 5)], path: "p.jsonl")) { error in
            XCTAssertTrue("\(error)".contains("p.jsonl") && "\(error)".contains("line 5") && "\(error)".contains("mixes prompt formats"), "\(error)")
        }
        XCTAssertThrowsError(try PromptDataset.promptFormat(of: [r("gpt-17", 3)], path: "p.jsonl")) { error in
            XCTAssertTrue("\(error)".contains("line 3") && "\(error)".contains("gpt-17"), "\(error)")
        }
        XCTAssertEqual(try PromptJoin.of(format: nil), .c2s)
        XCTAssertEqual(try PromptJoin.of(format: "c2s"), .oneText(separator: " "))
        XCTAssertEqual(try PromptJoin.of(format: "c2s-scale"), .separate)
    }
}
