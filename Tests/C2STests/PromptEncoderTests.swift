import Foundation
import SingleCell
import TestSupport
import Transformer
import XCTest
@testable import C2S

/// Joining, tokenizing, the loss boundary and truncation of training examples.
final class PromptEncoderTests: XCTestCase {
    func tokenizer(_ relative: String) throws -> Tokenizer {
        try Tokenizer.load(folder: TestPaths.fixtures.appendingPathComponent(relative))
    }

    func record(_ input: String, _ response: String, spans: [Range<Int>]? = nil, line: Int = 7) -> PromptRecord {
        PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["c"], modelInput: input, response: response,
                     sentenceSpans: spans, line: line)
    }

    /// Code-point range of `part` in `text`.
    func span(of part: String, in text: String) -> Range<Int> {
        let range = text.range(of: part)!
        let start = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: range.lowerBound)
        return start..<(start + part.unicodeScalars.count)
    }

    let genes = (0..<60).map { "GENE\($0)X" }.joined(separator: " ")

    func testOneStringWithEOSAndTheResponseBoundary() throws {
        let tok = try tokenizer("tokenizers/gpt-neox")
        let eos = try XCTUnwrap(tok.eosTokenID)
        let r = record("Genes: CD3E LYZ MALAT1. Cell type:", "CD14 Monocytes")
        let encoder = PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: 512)
        let e = try encoder.encode([r], path: "p.jsonl")
        let example = e.examples[0]
        XCTAssertEqual(example.tokens, tok.encode("Genes: CD3E LYZ MALAT1. Cell type: CD14 Monocytes") + [eos])
        XCTAssertEqual(example.lossStart, tok.encode(r.modelInput).count)
        // The loss covers " CD14 Monocytes" and EOS, exactly.
        XCTAssertEqual(tok.decode(Array(example.tokens[example.lossStart...])), " CD14 Monocytes<|endoftext|>")
        XCTAssertEqual(e.report.truncated, 0)
        XCTAssertEqual(e.report.boundaryByDecoding, 0)
        let batch = TrainingBatch(examples: e.examples)
        XCTAssertEqual(batch.targetCount, example.tokens.count - example.lossStart)
        // Position i predicts token i+1: the last prompt position predicts the first response token.
        XCTAssertEqual(batch.targets[example.lossStart - 1], example.tokens[example.lossStart])
        XCTAssertEqual(batch.targets[example.lossStart - 2], TrainingBatch.ignored)
        XCTAssertEqual(batch.targets.last, TrainingBatch.ignored)

        let all = try PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: 512, lossOn: .all).encode([r], path: "p.jsonl")
        XCTAssertEqual(all.examples[0].lossStart, 1)
        XCTAssertEqual(TrainingBatch(examples: all.examples).targetCount, example.tokens.count - 1)
    }

    func testBOSOnceAtTheStart() throws {
        let tok = try tokenizer("tokenizers/llama2")
        let bos = try XCTUnwrap(tok.bosTokenID), eos = try XCTUnwrap(tok.eosTokenID)
        let r = record("Cell type of CD3E LYZ?", "T cell")
        let e = try PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: 512).encode([r], path: "p.jsonl")
        let tokens = e.examples[0].tokens
        XCTAssertEqual(tokens.first, bos)
        XCTAssertEqual(tokens.filter { $0 == bos }.count, 1)
        XCTAssertEqual(tokens.last, eos)
        XCTAssertEqual(tok.decode(Array(tokens[e.examples[0].lossStart...]), skipSpecialTokens: true).trimmingCharacters(in: .whitespaces), "T cell")
    }

    func testTruncatesTheLowestRankedGenesWhenSpansAreGiven() throws {
        let tok = try tokenizer("tokenizers/gpt-neox")
        let eos = try XCTUnwrap(tok.eosTokenID)
        let input = "Top genes: \(genes). Cell type:"
        let r = record(input, "NK cell", spans: [span(of: genes, in: input)])
        let fullLength = tok.encode(PromptEncoder.text(input: input, response: "NK cell")).count + 1
        let limit = fullLength - 25
        let e = try PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: limit).encode([r], path: "p.jsonl")
        let tokens = e.examples[0].tokens
        XCTAssertLessThanOrEqual(tokens.count, limit)
        let text = tok.decode(tokens, skipSpecialTokens: true)
        // Whole genes were dropped from the end of the sentence; the rest of the text is intact.
        let kept = e.report.droppedGenes
        XCTAssertGreaterThan(kept, 0)
        let shortened = (0..<(60 - kept)).map { "GENE\($0)X" }.joined(separator: " ")
        XCTAssertEqual(text, "Top genes: \(shortened). Cell type: NK cell")
        XCTAssertEqual(e.report.truncatedBySentence, 1)
        // As many genes as fit: one more would not.
        let oneMore = (0..<(61 - kept)).map { "GENE\($0)X" }.joined(separator: " ")
        XCTAssertGreaterThan(tok.encode("Top genes: \(oneMore). Cell type: NK cell").count + 1, limit)
        XCTAssertEqual(tok.decode(Array(tokens[e.examples[0].lossStart...])), " NK cell<|endoftext|>")
    }

    func testWithoutSpansDropsTokensFromTheStartOfTheInput() throws {
        let tok = try tokenizer("tokenizers/gpt-neox")
        let eos = try XCTUnwrap(tok.eosTokenID)
        let input = "Top genes: \(genes). Cell type:"
        let full = tok.encode(PromptEncoder.text(input: input, response: "NK cell")) + [eos]
        let e = try PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: 40).encode([record(input, "NK cell")], path: "p.jsonl")
        XCTAssertEqual(e.examples[0].tokens, Array(full.suffix(40)))
        XCTAssertEqual(e.report.truncatedByTokens, 1)
        XCTAssertEqual(e.report.droppedTokens, full.count - 40)
        XCTAssertEqual(tok.decode(Array(e.examples[0].tokens[e.examples[0].lossStart...])), " NK cell<|endoftext|>")
    }

    func testAResponseThatCannotFitIsAnErrorNamingFileAndLine() throws {
        let tok = try tokenizer("tokenizers/gpt-neox")
        let eos = try XCTUnwrap(tok.eosTokenID)
        let input = "Genes: \(genes). Cell type:"
        let long = Array(repeating: "very long response", count: 20).joined(separator: " ")
        for spans in [nil, [span(of: genes, in: input)]] {
            let encoder = PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: 30)
            XCTAssertThrowsError(try encoder.encode([record(input, "B"), record(input, long, spans: spans, line: 12)], path: "data/p.jsonl")) { error in
                let message = "\(error)"
                XCTAssertTrue(error is FileError)
                for n in ["data/p.jsonl", "line 12", "response", "context of 30"] where !(spans != nil && n == "context of 30") {
                    XCTAssertTrue(message.contains(n), "\(message) lacks \(n)")
                }
            }
        }
    }

    func testBoundaryByDecodingWhenTheInputEndsInsideAToken() throws {
        // In the gene-aware tokenizer every gene is one token, so "MALAT" is not a token
        // boundary of "MALAT1".
        let tok = try tokenizer("tokenizer-training/gene-aware")
        let eos = try XCTUnwrap(tok.eosTokenID)
        let encoder = PromptEncoder(tokenizer: tok, eosTokenID: eos, maxLength: 100)
        let ids = tok.encode("MALAT1 B2M")
        XCTAssertEqual(ids.count, 2)
        let r = record("x", "y")
        XCTAssertEqual(try encoder.decodedBoundary(ids, input: "MALAT1", record: r, path: "p").0, 1)
        XCTAssertEqual(try encoder.decodedBoundary(ids, input: "MALAT1", record: r, path: "p").straddles, false)
        XCTAssertEqual(try encoder.decodedBoundary(ids, input: "MALAT", record: r, path: "p").0, 0)
        XCTAssertEqual(try encoder.decodedBoundary(ids, input: "MALAT", record: r, path: "p").straddles, true)
        XCTAssertThrowsError(try encoder.decodedBoundary(ids, input: "NOTIT", record: r, path: "p.jsonl")) {
            XCTAssertTrue("\($0)".contains("p.jsonl: line 7"), "\($0)")
        }
    }
}
