import Foundation
import TestSupport
import XCTest
@testable import Transformer

final class TokenizerTrainingTests: XCTestCase {
    private func corpus() throws -> [String] {
        let text = try String(contentsOf: TestPaths.fixtures.appendingPathComponent("tokenizer-training/train.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) as? String) ?? "" }
    }

    private func heldOut() throws -> [String] {
        let text = try String(contentsOf: TestPaths.fixtures.appendingPathComponent("tokenizer-training/held_out.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) as? String) ?? "" }
    }

    private func options(_ vocabSize: Int, workers: Int = 2) -> BPETrainingOptions {
        var o = BPETrainingOptions()
        o.vocabSize = vocabSize
        o.workers = workers
        return o
    }

    private func spelled(_ t: TrainedTokenizer, _ m: TrainedTokenizer.Merge) -> String {
        String(decoding: t.modelTokens[Int(m.left)], as: UTF8.self) + " " + String(decoding: t.modelTokens[Int(m.right)], as: UTF8.self)
    }

    func testTiesGoToTheSmallerIDsAndMinFrequencyStops() throws {
        // "a b", "Ġ c" and "c d" occur twice each: ties go to the smaller left id ("a" < "c" < "Ġ",
        // the byte symbols being ordered by their byte-level character).
        let t = try BPETrainer.train(["ab cd", "ab cd", "xy"], options: options(400))
        XCTAssertEqual(t.merges.map { spelled(t, $0) }, ["a b", "c d", "Ġ cd"])
        XCTAssertEqual(t.modelTokens.count, 2 + 256 + 3)
        XCTAssertEqual(t.modelTokens.prefix(4).map { String(decoding: $0, as: UTF8.self) }, ["<|endoftext|>", "<|pad|>", "!", "\""])
        var o = options(400)
        o.minFrequency = 3
        XCTAssertTrue(try BPETrainer.train(["ab cd", "ab cd", "xy"], options: o).merges.isEmpty)
        o.minFrequency = 1
        XCTAssertEqual(try BPETrainer.train(["ab cd", "ab cd", "xy"], options: o).merges.count, 4)  // + "x y"
        // Overlapping pairs merge left to right: "aaa" -> "aa" "a".
        let a = try BPETrainer.train(["aaa"], options: { var o = options(400); o.minFrequency = 1; return o }())
        XCTAssertEqual(a.merges.map { spelled(a, $0) }, ["a a", "aa a"])
    }

    func testTrainingIsDeterministicAndIndependentOfThreads() throws {
        let texts = try corpus()
        let one = try BPETrainer.train(texts, options: options(1500, workers: 1))
        let two = try BPETrainer.train(texts, options: options(1500, workers: 2))
        let again = try BPETrainer.train(texts, options: options(1500, workers: 2))
        XCTAssertEqual(one.tokenizerJSON(), two.tokenizerJSON())
        XCTAssertEqual(two.tokenizerJSON(), again.tokenizerJSON())
        XCTAssertEqual(one.modelTokens.count, 1500)
        XCTAssertEqual(one.merges.count, 1500 - 258)
        // A smaller vocabulary is a prefix of a larger one.
        let small = try BPETrainer.train(texts, options: options(600))
        XCTAssertEqual(small.merges, Array(one.merges.prefix(600 - 258)))
    }

    /// A streamed corpus reaches the counts in batches: any cut gives the same distinct words,
    /// in the same order of first appearance, with the same counts, and so the same tokenizer.
    func testCountingInBatchesGivesTheCountsOfCountingAtOnce() throws {
        let texts = try corpus()
        let genes = try GeneVocabulary.read(path: TestPaths.fixtures.appendingPathComponent("tokenizer-training/genes.txt").path)
        for genes in [nil, genes] {
            var whole = try BPEWordCounts(options: options(700), genes: genes)
            whole.add(texts)
            var batched = try BPEWordCounts(options: options(700), genes: genes)
            var start = 0
            // 129 and the rest (131) are counted on two threads, the first into an empty table.
            for size in [129, 1, 63, 7] + Array(repeating: 300, count: texts.count / 300 + 1) where start < texts.count {
                batched.add(Array(texts[start..<min(texts.count, start + size)]))
                start += size
            }
            XCTAssertEqual(batched.texts, texts.count)
            XCTAssertGreaterThan(whole.counter.distinctWords, 100)
            XCTAssertEqual(batched.counter.distinctWords, whole.counter.distinctWords)
            XCTAssertEqual(batched.counter.counts, whole.counter.counts)
            XCTAssertTrue((0..<whole.counter.distinctWords).allSatisfy { batched.counter.word($0) == whole.counter.word($0) })
            XCTAssertEqual(try BPETrainer.train(batched).tokenizerJSON(), try BPETrainer.train(texts, options: options(700), genes: genes).tokenizerJSON())
        }
    }

    func testRoundTripOnHeldOutText() throws {
        let texts = try heldOut().filter { !$0.contains("<|endoftext|>") && !$0.contains("<|pad|>") }
        XCTAssertGreaterThan(texts.count, 150)
        let genes = try GeneVocabulary.read(path: TestPaths.fixtures.appendingPathComponent("tokenizer-training/genes.txt").path)
        for trained in [try BPETrainer.train(try corpus(), options: options(1200)),
                        try BPETrainer.train(try corpus(), options: options(800), genes: genes)] {
            let tokenizer = try trained.tokenizer()
            var bad = 0
            for text in texts where Array(tokenizer.decode(tokenizer.encode(text)).utf8) != Array(text.utf8) {
                bad += 1
                if bad < 4 { XCTFail("round trip changed \(text.debugDescription) to \(tokenizer.decode(tokenizer.encode(text)).debugDescription)") }
            }
            XCTAssertEqual(bad, 0)
        }
    }

    func testEveryGeneIsOneTokenInTheGeneAwareVariant() throws {
        let genes = try GeneVocabulary(genes: ["CD3", "CD3D", "CD3E", "HLA-DRA", "MT-CO1", "RP11-34P13.7", "B2M", "A"])
        let trained = try BPETrainer.train(try corpus(), options: options(700), genes: genes)
        let tokenizer = try trained.tokenizer()
        var seen = Set<Int32>()
        for gene in genes.genes {
            let spaced = tokenizer.encode(" " + gene), bare = tokenizer.encode(gene)
            XCTAssertEqual(spaced.count, 1, gene)
            XCTAssertEqual(bare.count, 1, gene)
            XCTAssertEqual(tokenizer.decode(spaced), " " + gene)
            XCTAssertEqual(tokenizer.decode(bare), gene)
            seen.insert(spaced[0]); seen.insert(bare[0])
        }
        XCTAssertEqual(seen.count, 2 * genes.genes.count, "distinct ids for every gene token")
        let sentence = "Cell sentence: " + genes.genes.joined(separator: " ") + "."
        let ids = tokenizer.encode(sentence)
        XCTAssertEqual(ids.filter(seen.contains).count, genes.genes.count)
        // single_word: a bare gene is not taken out of a longer word; the longest gene wins.
        XCTAssertFalse(tokenizer.encode("xCD3D CD3DX").contains { seen.contains($0) && $0 != tokenizer.encode(" CD3D")[0] })
        XCTAssertEqual(tokenizer.encode("CD3D"), [try XCTUnwrap(tokenizer.id(forToken: "CD3D"))])
        XCTAssertNotEqual(tokenizer.encode("CD3D"), tokenizer.encode("CD3"))
        // The documented right-edge limitation of " GENE": " CD3X" is " CD3" + "X".
        XCTAssertEqual(tokenizer.encode(" CD3X").first, tokenizer.id(forToken: " CD3"))
        let summary = TokenCountSummary.measure(tokenizer, texts: [sentence, "B2M A CD3"], genes: Set(genes.genes))
        XCTAssertEqual(summary.geneOccurrences, genes.genes.count + 3)
        XCTAssertEqual(summary.tokensPerGene, 1.0)
        let plain = try BPETrainer.train(try corpus(), options: options(700)).tokenizer()
        XCTAssertGreaterThan(try XCTUnwrap(TokenCountSummary.measure(plain, texts: [sentence], genes: Set(genes.genes)).tokensPerGene), 1.5)
    }

    func testWrittenFolderLoadsWithItsConfig() throws {
        let tmp = try TemporaryFolder()
        let trained = try BPETrainer.train(try corpus(), options: options(500))
        try trained.write(to: URL(fileURLWithPath: tmp.path), modelMaxLength: 2048)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted(), ["tokenizer.json", "tokenizer_config.json"])
        let tokenizer = try Tokenizer.load(folder: URL(fileURLWithPath: tmp.path))
        XCTAssertEqual(tokenizer.vocabularySize, 500)
        XCTAssertEqual(tokenizer.bosTokenID, 0)
        XCTAssertEqual(tokenizer.eosTokenID, 0)
        XCTAssertEqual(tokenizer.padTokenID, 1)
        XCTAssertEqual(tokenizer.modelMaxLength, 2048)
        XCTAssertEqual(tokenizer.encode("<|endoftext|>B2M<|pad|>").first, 0)
        XCTAssertTrue(tokenizer.isSpecial(1))
    }

    func testBadInputsAreRefusedWithClearMessages() throws {
        XCTAssertThrowsError(try BPETrainer.train(["abc"], options: options(257))) { error in
            XCTAssertTrue("\(error)".contains("257") && "\(error)".contains("258"), "\(error)")
        }
        XCTAssertThrowsError(try BPETrainer.train([], options: options(300))) { XCTAssertTrue("\($0)".contains("no text"), "\($0)") }
        XCTAssertThrowsError(try BPETrainer.train(["<|pad|>"], options: options(300))) { XCTAssertTrue("\($0)".contains("no text"), "\($0)") }
        let genes = try GeneVocabulary(genes: ["B2M"])
        XCTAssertThrowsError(try BPETrainer.train(["B2M B2M"], options: options(300), genes: genes)) { XCTAssertTrue("\($0)".contains("besides gene names"), "\($0)") }
        var o = options(300)
        o.specialTokens = ["<s>", "<s>"]
        XCTAssertThrowsError(try BPETrainer.train(["abc"], options: o))

        let tmp = try TemporaryFolder()
        func refuse(_ text: String, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
            let path = tmp.file("genes.tsv")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try GeneVocabulary.read(path: path), file: file, line: line) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(path), message, file: file, line: line)
                for n in needles { XCTAssertTrue(message.contains(n), "\(message) lacks \(n)", file: file, line: line) }
            }
        }
        try refuse("gene\tn_cells\nB2M\t3\nCD3D\t4\nB2M\t5\n", ["B2M", "twice", "lines 2 and 4"])
        try refuse("B2M\nCD3 D\n", ["line 2", "whitespace"])
        try refuse("gene\tn_cells\nB2M\tmany\n", ["line 2", "gene<TAB>n_cells"])
        try refuse("\n\n", ["empty"])
        try refuse("CAFÉ\n", ["ASCII"])
        XCTAssertThrowsError(try GeneVocabulary.read(path: tmp.file("missing.txt"))) { XCTAssertTrue("\($0)".contains("missing.txt")) }
        // A dataset folder means its vocab.tsv; a plain list works too.
        try "gene\tn_cells\nB2M\t3\nCD3D\t4\n".write(toFile: tmp.file("vocab.tsv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try GeneVocabulary.read(path: tmp.path).genes, ["B2M", "CD3D"])
        try "B2M\r\nCD3D\r\n\r\n".write(toFile: tmp.file("list.txt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try GeneVocabulary.read(path: tmp.file("list.txt")).genes, ["B2M", "CD3D"])
    }
}
