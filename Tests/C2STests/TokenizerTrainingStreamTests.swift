import Foundation
import SingleCell
import TestSupport
import Transformer
import XCTest
@testable import C2S

/// `c2s tokenizer train` streams its corpus: the tokenizer and summary are those of the texts
/// held in memory, whatever the files and reads, and a bad line stops it before any output.
final class TokenizerTrainingStreamTests: XCTestCase {
    let genes = (0..<120).map { "GENE\($0)" }

    /// A cell sentence of 5 to 40 genes, different for every `i`.
    func sentence(_ i: Int) -> String {
        (0..<(5 + (i * 7) % 36)).map { genes[($0 * 13 + i * 31) % genes.count] }.joined(separator: " ")
    }

    /// Writes a corpus of four inputs (prompt JSONL with CRLF lines and blank lines, text lines,
    /// JSON string lines, a sentence dataset folder) and returns the paths and every text in order.
    func writeCorpus(in tmp: TemporaryFolder) throws -> (paths: [String], texts: [String]) {
        var texts: [String] = []
        var prompts = "", lines = "", strings = "", cells = ""
        for i in 0..<6000 {
            let input = "The \(i % 9 == 0 ? "ﬁrst é" : "next") cell: " + sentence(i) + ". Its type?"
            let response = "type \(i % 11)"
            prompts += #"{"task":"t","split":"train","model_input":"\#(input)","response":"\#(response)"}"# + (i % 3 == 0 ? "\r\n" : "\n")
            if i % 500 == 0 { prompts += "  \n" }
            texts.append(input + " " + response)
        }
        for i in 0..<2500 {
            let text = "Cells of type \(i % 7): " + sentence(i + 1) + (i % 10 == 0 ? " <|endoftext|>" : "")
            lines += text + (i % 2 == 0 ? "\r\n" : "\n")
            texts.append(text)
        }
        // One line much longer than a read.
        let long = (0..<400).map { sentence($0) }.joined(separator: " ")
        strings += "\"" + long + "\"\n"
        texts.append(long)
        for i in 0..<1500 {
            let text = "Sentence \(i): " + sentence(i + 2) + "\t\"quoted\""
            strings += "\"" + text.replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\t", with: "\\t") + "\"\n"
            texts.append(text)
        }
        for i in 0..<1200 {
            cells += #"{"cell_name":"c\#(i)","cell_sentence":"\#(sentence(i + 3))"}"# + "\n"
            texts.append(sentence(i + 3))
        }
        try FileManager.default.createDirectory(atPath: tmp.file("ds"), withIntermediateDirectories: true)
        try cells.write(toFile: tmp.file("ds/cells.jsonl"), atomically: true, encoding: .utf8)
        try ("gene\tn_cells\n" + genes.map { "\($0)\t1\n" }.joined()).write(toFile: tmp.file("ds/vocab.tsv"), atomically: true, encoding: .utf8)
        try prompts.write(toFile: tmp.file("p.jsonl"), atomically: true, encoding: .utf8)
        try lines.write(toFile: tmp.file("lines.txt"), atomically: true, encoding: .utf8)
        try strings.write(toFile: tmp.file("strings.jsonl"), atomically: true, encoding: .utf8)
        return ([tmp.file("p.jsonl"), tmp.file("lines.txt"), tmp.file("strings.jsonl"), tmp.file("ds")], texts)
    }

    func testStreamingGivesTheTokenizerAndSummaryOfTheTextsInMemory() throws {
        let tmp = try TemporaryFolder()
        let (paths, texts) = try writeCorpus(in: tmp)
        XCTAssertGreaterThan(texts.count, 2 * TokenizerTraining.batchSize, "several batches")
        let vocabulary = try GeneVocabulary(genes: genes)
        for (name, geneList) in [("plain", nil), ("genes", vocabulary)] as [(String, GeneVocabulary?)] {
            for blockSize in [1000, TextFileLines.defaultBlockSize] {
                var s = TokenizerTrainingSettings(corpus: paths, output: tmp.file("\(name)-\(blockSize)"))
                s.options.vocabSize = 500
                s.genesFile = geneList.map { _ in tmp.file("ds/vocab.tsv") }
                s.readBlockSize = blockSize
                let result = try TokenizerTraining.run(s)

                var options = BPETrainingOptions()
                options.vocabSize = 500
                let inMemory = try BPETrainer.train(texts, options: options, genes: geneList)
                let written = try Data(contentsOf: URL(fileURLWithPath: s.output + "/tokenizer.json"))
                XCTAssertEqual(written, inMemory.tokenizerJSON(), "\(name), reads of \(blockSize) bytes")
                XCTAssertEqual(result.examples, texts.count)
                XCTAssertEqual(result.trained.wordOccurrences, inMemory.wordOccurrences)
                let tokenizer = try Tokenizer.load(folder: URL(fileURLWithPath: s.output))
                let summary = TokenCountSummary.measure(tokenizer, texts: texts, genes: Set(genes))
                XCTAssertEqual(result.summary, summary, "\(name), reads of \(blockSize) bytes")
                XCTAssertGreaterThan(summary.geneOccurrences, 10000)
                if geneList != nil { XCTAssertEqual(summary.tokensPerGene, 1) }
            }
        }
    }

    func testAMalformedLineInTheMiddleNamesFileAndLineAndLeavesNothing() throws {
        let tmp = try TemporaryFolder()
        let (paths, _) = try writeCorpus(in: tmp)
        var lines = try String(contentsOfFile: tmp.file("strings.jsonl"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines[1000] = #"{"text": "#
        try lines.joined(separator: "\n").write(toFile: tmp.file("broken.jsonl"), atomically: true, encoding: .utf8)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: tmp.file("lines.txt"))))
        let newlines = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }
        bytes.insert(0xFF, at: newlines[1700] + 1)  // line 1702 starts with a byte that is never UTF-8
        try Data(bytes).write(to: URL(fileURLWithPath: tmp.file("binary.txt")))
        for (bad, needles) in [("broken.jsonl", ["line 1001", "not valid JSON"]), ("binary.txt", ["line 1702", "UTF-8"])] {
            for blockSize in [1000, TextFileLines.defaultBlockSize] {
                var s = TokenizerTrainingSettings(corpus: [paths[0], tmp.file(bad), paths[3]], output: tmp.file("out"))
                s.options.vocabSize = 400
                s.readBlockSize = blockSize
                XCTAssertThrowsError(try TokenizerTraining.run(s)) { error in
                    let message = "\(error)"
                    XCTAssertTrue(error is FileError, message)
                    for n in needles + [bad] { XCTAssertTrue(message.contains(n), "\(message) lacks \(n)") }
                }
                XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")))
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.hasPrefix(".out") }, [])
            }
        }
    }
}
