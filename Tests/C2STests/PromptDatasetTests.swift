import Foundation
import SingleCell
import TestSupport
import XCTest
@testable import C2S

/// Reading prompt datasets: fields, spans, blank and CRLF lines, and every malformed input.
final class PromptDatasetTests: XCTestCase {
    func write(_ text: String, _ name: String = "p.jsonl", in tmp: TemporaryFolder) throws -> String {
        try text.write(toFile: tmp.file(name), atomically: true, encoding: .utf8)
        return tmp.file(name)
    }

    func testReadsFieldsSpansAndSplits() throws {
        let tmp = try TemporaryFolder()
        let path = try write("""
            {"task":"cell_type_prediction","split":"train","cell_name":"c1","model_input":"Genes: A B C. Type?","response":"T cell","input_sentence_spans":[[7,12]]}

            {"task":"tissue_prediction","split":"validation","cell_names":["c2","c3"],"model_input":"Cells:","response":"lung"}\r
            {"task":"cell_type_prediction","split":"train","cell_name":"c4","model_input":"é x","response":"B","input_sentence_spans":null}
            """, in: tmp)
        let d = try PromptDataset(path: path)
        XCTAssertEqual(d.records.count, 3)
        XCTAssertEqual(d.records[0], PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["c1"],
                                                  modelInput: "Genes: A B C. Type?", response: "T cell", sentenceSpans: [7..<12], line: 1))
        XCTAssertEqual(d.records[1].cellNames, ["c2", "c3"])
        XCTAssertEqual(d.records[1].line, 3)
        XCTAssertNil(d.records[1].sentenceSpans)
        XCTAssertNil(d.records[2].sentenceSpans)
        XCTAssertEqual(d.split("train").map(\.line), [1, 4])
        XCTAssertEqual(d.splitCounts.map(\.split), ["train", "validation"])
        XCTAssertEqual(try streamed(path), d.records, "the streaming reader reads what the whole-file reader reads")
    }

    func streamed(_ path: String) throws -> [PromptRecord] {
        var records: [PromptRecord] = []
        try PromptDataset.forEachRecord(path: path) { records.append($0) }
        return records
    }

    /// Lines cut by the streaming reader's 4 MiB reads come out whole, CRLF or not.
    func testStreamingReaderJoinsLinesAcrossReads() throws {
        let tmp = try TemporaryFolder()
        var lines: [String] = []
        var size = 0, i = 0
        while size < 9 << 20 {
            let input = "Genes: " + String(repeating: "G\(i % 97) ", count: 1 + (i * 7919) % 300) + "é"
            let line = #"{"task":"t","split":"\#(i % 5 == 0 ? "validation" : "train")","cell_name":"c\#(i)","model_input":"\#(input)","response":"r\#(i % 3)"}"# + (i % 4 == 0 ? "\r" : "")
            lines.append(line)
            size += line.utf8.count + 1
            i += 1
        }
        let path = try write(lines.joined(separator: "\n"), in: tmp)
        let whole = try PromptDataset(path: path).records
        XCTAssertEqual(whole.count, lines.count)
        XCTAssertEqual(try streamed(path), whole)
    }

    func testMalformedInputNamesFileAndLine() throws {
        let tmp = try TemporaryFolder()
        let good = #"{"task":"t","split":"train","model_input":"abc","response":"r"}"#
        func fails(_ text: String, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
            let path = try write(text, "bad.jsonl", in: tmp)
            XCTAssertThrowsError(try PromptDataset(path: path), file: file, line: line) { error in
                let message = "\(error)"
                XCTAssertTrue(error is FileError, message, file: file, line: line)
                for n in needles + ["bad.jsonl"] { XCTAssertTrue(message.contains(n), "\(message) lacks \(n)", file: file, line: line) }
            }
            XCTAssertThrowsError(try streamed(path), file: file, line: line) { error in
                let message = "\(error)"
                XCTAssertTrue(error is FileError, message, file: file, line: line)
                for n in needles + ["bad.jsonl"] { XCTAssertTrue(message.contains(n), "streamed: \(message) lacks \(n)", file: file, line: line) }
            }
        }
        try fails("", ["no examples"])
        try fails("\n  \n", ["no examples"])
        try fails(good + "\n{\"task\": \n", ["line 2", "JSON"])
        try fails(good + "\n[1, 2]\n", ["line 2", "JSON object"])
        try fails(#"{"task":"t","split":"train","model_input":"abc"}"#, ["line 1", "\"response\"", "model_input, split, task"])
        try fails(#"{"task":"t","split":"train","model_input":3,"response":"r"}"#, ["line 1", "\"model_input\" is not a string"])
        try fails(#"{"task":"t","model_input":"a","response":"r"}"#, ["line 1", "\"split\""])
        let spanned = #"{"task":"t","split":"train","model_input":"abc","response":"r","input_sentence_spans":"#
        try fails(spanned + "[[0,4]]}", ["line 1", "input_sentence_spans", "0...3"])
        try fails(spanned + "[[2,1]]}", ["line 1", "input_sentence_spans"])
        try fails(spanned + "[[0,2],[1,3]]}", ["line 1", "overlap"])
        try fails(spanned + "[[0.5,2]]}", ["line 1", "input_sentence_spans"])
        try fails(spanned + "[[true,2]]}", ["line 1", "input_sentence_spans"])
        try fails(spanned + "7}", ["line 1", "not a list"])
        XCTAssertThrowsError(try PromptDataset(path: tmp.file("missing.jsonl"))) { XCTAssertTrue("\($0)".contains("cannot be read")) }
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: tmp.file("binary.jsonl")))
        XCTAssertThrowsError(try PromptDataset(path: tmp.file("binary.jsonl"))) { XCTAssertTrue("\($0)".contains("UTF-8")) }
        XCTAssertThrowsError(try streamed(tmp.file("missing.jsonl"))) { XCTAssertTrue("\($0)".contains("cannot be read")) }
        XCTAssertThrowsError(try streamed(tmp.file("binary.jsonl"))) { XCTAssertTrue("\($0)".contains("UTF-8")) }
    }

    func testSentenceTruncationCutsWholeGenesFromTheEndOfEachSentence() {
        // Spans are code points: "é" is one, though two UTF-8 bytes.
        let input = "é: AA BB CC DD. Then\nCell 2: EE FF?"
        let first = 3..<14, second = 29..<34
        XCTAssertEqual(Array(input.unicodeScalars)[first].map(String.init).joined(), "AA BB CC DD")
        XCTAssertEqual(Array(input.unicodeScalars)[second].map(String.init).joined(), "EE FF")
        let cut = SentenceTruncation(input: input, spans: [first, second])
        XCTAssertEqual(cut.longestSentence, 4)
        XCTAssertEqual(cut.totalGenes, 6)
        XCTAssertEqual(cut.keeping(atMost: 4).input, input)
        XCTAssertEqual(cut.keeping(atMost: 4).droppedGenes, 0)
        XCTAssertEqual(cut.keeping(atMost: 2).input, "é: AA BB. Then\nCell 2: EE FF?")
        XCTAssertEqual(cut.keeping(atMost: 2).droppedGenes, 2)
        XCTAssertEqual(cut.keeping(atMost: 1).input, "é: AA. Then\nCell 2: EE?")
        XCTAssertEqual(cut.keeping(atMost: 1).droppedGenes, 4)
        XCTAssertEqual(SentenceTruncation(input: "x", spans: []).keeping(atMost: 0).input, "x")
    }

    func testModelInfoListsLabelsOfLabelTasksOnly() throws {
        let records = [
            PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["a"], modelInput: "i", response: "NK", line: 1),
            PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["b"], modelInput: "i", response: "B", line: 2),
            PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["c"], modelInput: "i", response: "NK", line: 3),
            PromptRecord(task: "cell_type_generation", split: "train", cellNames: ["d"], modelInput: "i", response: "CD3E LYZ", line: 4),
        ]
        let info = C2SMetadata(train: records, examples: ["train": 4], lossOn: .response, maxLength: 64,
                                sentenceDatasetPath: "/data/ds", truncation: TruncationReport())
        XCTAssertEqual(info.tasks, ["cell_type_generation", "cell_type_prediction"])
        XCTAssertEqual(info.labels, ["cell_type_prediction": ["B", "NK"]])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: info.json()) as? [String: Any])
        XCTAssertEqual(json["separator"] as? String, " ")
        XCTAssertEqual(json["loss_on"] as? String, "response")
        XCTAssertEqual((json["sentence_dataset"] as? [String: String])?["vocab"], "vocab.tsv")
        XCTAssertEqual((json["labels"] as? [String: [String]])?["cell_type_prediction"], ["B", "NK"])
    }

    func testConditionLabelsComeFromTheTrainingCells() throws {
        let records = [
            PromptRecord(task: "cell_type_generation", split: "train", cellNames: ["d"], modelInput: "i", response: "CD3E LYZ", line: 1),
            PromptRecord(task: "cell_type_generation", split: "train", cellNames: ["e"], modelInput: "i", response: "LYZ", line: 2),
            PromptRecord(task: "cell_type_generation", split: "train", cellNames: ["f"], modelInput: "i", response: "MS4A1", line: 3),
            PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["g"], modelInput: "i", response: "NK", line: 4),
            PromptRecord(task: "unconditional_generation", split: "train", cellNames: ["h"], modelInput: "i", response: "CD3E", line: 5),
        ]
        var info = C2SMetadata(train: records, examples: ["train": 5], lossOn: .response, maxLength: 64,
                                sentenceDatasetPath: nil, truncation: TruncationReport())
        XCTAssertNil(info.labels["cell_type_generation"])
        let column = ["d": "T", "e": "Mono", "f": "", "g": "NK", "h": "B"]
        info.addConditionLabels(train: records, cellLabel: { column[$0] })
        XCTAssertEqual(info.labels["cell_type_generation"], ["Mono", "T"], "labels of the generation cells only, empty values skipped")
        XCTAssertEqual(info.labels["cell_type_prediction"], ["NK"], "prediction labels stay the responses")
        XCTAssertNil(info.labels["unconditional_generation"])
        XCTAssertTrue(C2SMetadata.isConditionedTask("cell_type_generation"))
        XCTAssertFalse(C2SMetadata.isConditionedTask("cell_type_prediction"))
        XCTAssertFalse(C2SMetadata.isConditionedTask("unconditional_generation"))
    }
}
