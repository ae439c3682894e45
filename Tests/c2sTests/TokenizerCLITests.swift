import Foundation
import TestSupport
import XCTest

/// `c2s tokenizer train` end to end: kang-ifnb-sub2k prompts and sentences, and bad inputs.
final class TokenizerCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    /// The number after `label` in the summary ("tokens per gene: 1.0000 (...)").
    private func figure(_ output: String, _ label: String) -> Double? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(label) }) else { return nil }
        return Double(line.dropFirst(label.count).split(separator: " ").first ?? "")
    }

    func testKangPromptsPlainAndGeneAware() throws {
        let kang = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let tmp = try TemporaryFolder()
        var r = try c2s(["convert", kang, "-o", tmp.file("ds"), "--obs-columns", "seurat_annotations", "--no-fit", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["prompts", tmp.file("ds"), "--task", "cell_type_prediction", "--label-column", "seurat_annotations",
                     "--top-k", "100", "-o", tmp.file("p.jsonl")])
        XCTAssertEqual(r.status, 0, r.stderr)

        r = try c2s(["tokenizer", "train", tmp.file("p.jsonl"), "-o", tmp.file("bpe"), "--vocab-size", "1000", "--measure-genes", tmp.file("ds")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let plain = String(decoding: r.stdout, as: UTF8.self)
        r = try c2s(["tokenizer", "train", tmp.file("p.jsonl"), "-o", tmp.file("genes"), "--vocab-size", "400", "--gene-aware", tmp.file("ds")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let aware = String(decoding: r.stdout, as: UTF8.self)

        XCTAssertEqual(figure(aware, "tokens per gene: "), 1.0, aware)
        XCTAssertGreaterThan(try XCTUnwrap(figure(plain, "tokens per gene: "), plain), 1.5)
        XCTAssertLessThan(try XCTUnwrap(figure(aware, "tokens per example: ")), try XCTUnwrap(figure(plain, "tokens per example: ")))
        XCTAssertTrue(plain.contains("vocabulary: 1000 ids"), plain)
        XCTAssertTrue(aware.contains("gene tokens"), aware)

        // Only the genes among some cell's first 100 become tokens: counted here from the
        // dataset's own files, the prompts still take one token per gene, and the vocabulary
        // shrinks by two tokens per gene left out.
        var leading = Set<Substring>()
        let cells = try String(contentsOfFile: tmp.file("ds/cells.jsonl"), encoding: .utf8)
        for line in cells.split(separator: "\n") {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let sentence = try XCTUnwrap(object["cell_sentence"] as? String)
            leading.formUnion(sentence.split(separator: " ").prefix(100))
        }
        let vocabulary = try String(contentsOfFile: tmp.file("ds/vocab.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: "\t")[0] }
        let keptGenes = vocabulary.filter { leading.contains($0) }
        let kept = keptGenes.count
        try keptGenes.joined(separator: "\n").write(toFile: tmp.file("kept.txt"), atomically: true, encoding: .utf8)
        r = try c2s(["tokenizer", "train", tmp.file("p.jsonl"), "-o", tmp.file("first"), "--vocab-size", "400",
                     "--gene-aware", tmp.file("ds"), "--genes-within-first", "100"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let first = String(decoding: r.stdout, as: UTF8.self)
        // Measured over every gene of the dataset, a label word that is a gene no sentence
        // starts with ("CD4" of "CD4 Naive T") takes BPE pieces; every kept gene is one token.
        XCTAssertGreaterThan(try XCTUnwrap(figure(first, "tokens per gene: "), first), 1.0)
        r = try c2s(["tokenizer", "train", tmp.file("p.jsonl"), "-o", tmp.file("first-measured"), "--vocab-size", "400",
                     "--gene-aware", tmp.file("ds"), "--genes-within-first", "100", "--measure-genes", tmp.file("kept.txt")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(figure(String(decoding: r.stdout, as: UTF8.self), "tokens per gene: "), 1.0)
        XCTAssertGreaterThan(vocabulary.count, kept + 1000, "kang's 100-gene sentences use far fewer genes than it expresses")
        XCTAssertTrue(first.contains("gene tokens (\(kept) genes"), first)
        XCTAssertTrue(aware.contains("gene tokens (\(vocabulary.count) genes"), aware)
        let ids = { (text: String) in Int(text.split(separator: "\n").first { $0.hasPrefix("vocabulary: ") }?.split(separator: " ")[1] ?? "") }
        XCTAssertEqual(try XCTUnwrap(ids(aware)) - (try XCTUnwrap(ids(first))), 2 * (vocabulary.count - kept))
        // Both folders feed `c2s lm tokenize`; the sentence dataset itself is a corpus too (its
        // vocab.tsv then gives the genes for the summary).
        for folder in ["bpe", "genes"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("\(folder)/tokenizer_config.json")))
            r = try c2s(["lm", "tokenize", "--tokenizer", tmp.file(folder), tmp.file("p.jsonl"), "-o", tmp.file("\(folder).ids")])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        r = try c2s(["tokenizer", "train", tmp.file("ds"), "-o", tmp.file("from-ds"), "--vocab-size", "600"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertGreaterThan(try XCTUnwrap(figure(String(decoding: r.stdout, as: UTF8.self), "tokens per gene: ")), 1.5)
        // An existing output is kept unless --overwrite.
        r = try c2s(["tokenizer", "train", tmp.file("ds"), "-o", tmp.file("from-ds"), "--vocab-size", "600"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--overwrite"), r.stderr)
    }

    func testBadInputsGiveOneClearErrorAndNoOutput() throws {
        let tmp = try TemporaryFolder()
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: tmp.file(name), atomically: true, encoding: .utf8)
            return tmp.file(name)
        }
        let good = try write("good.txt", "CD3D B2M MALAT1\r\nB2M CD3D\r\n")
        func fails(_ args: [String], _ needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try c2s(["tokenizer", "train"] + args + ["-o", tmp.file("out")])
            XCTAssertNotEqual(r.status, 0, file: file, line: line)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr, file: file, line: line)
            for n in needles { XCTAssertTrue(r.stderr.contains(n), "\(r.stderr) lacks \(n)", file: file, line: line) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")), file: file, line: line)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.hasPrefix(".out") }
            XCTAssertEqual(leftovers, [], file: file, line: line)
        }
        try fails([try write("empty.txt", "\n  \n")], ["empty.txt", "no text"])
        try fails([tmp.file("missing.jsonl")], ["missing.jsonl", "cannot be read"])
        try fails([good, "--vocab-size", "100"], ["--vocab-size 100", "258"])
        try fails([try write("bad.jsonl", "{\"model_input\": \"a\", \"response\": \"b\"}\n{\"model_input\": \"a\"}\n")], ["bad.jsonl", "line 2", "response"])
        try fails([try write("broken.jsonl", "{\"model_input\": \n")], ["broken.jsonl", "line 1", "JSON"])
        try fails([good, "--genes", try write("dup.tsv", "gene\tn_cells\nB2M\t1\nB2M\t2\n")], ["dup.tsv", "B2M", "twice"])
        try fails([good, "--genes", try write("space.txt", "B2M\nCD3 D\n")], ["space.txt", "line 2", "whitespace"])
        try fails([good, "--gene-aware", tmp.file("no-dataset")], ["no-dataset/vocab.tsv"])
        // Option errors (argument-parser's usage follows the message).
        for (args, needle) in [([good, "--genes-within-first", "100"], "--genes-within-first needs --gene-aware"),
                               ([good, "--gene-aware", tmp.file("ds"), "--genes-within-first", "0"], "--genes-within-first must be at least 1")] {
            let r = try c2s(["tokenizer", "train"] + args + ["-o", tmp.file("out")])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(needle), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")))
        }
        // CRLF lines: the corpus is the five genes and nothing else.
        try fails([good, "--genes", try write("all.txt", "CD3D\r\nB2M\r\nMALAT1\r\n")], ["besides gene names"])
    }
}
