import Foundation
import SingleCell
import TestSupport
import XCTest

/// `c2s corpus` end to end: sentence datasets made with `c2s simulate` + `c2s convert` (and the
/// real ones in ../shared/data) become one corpus folder that `c2s tokenizer train` and `c2s
/// train` read unchanged; bad input is one error line, a non-zero exit and nothing written.
final class CorpusCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    /// Simulates and converts a small labelled dataset into `folder`.
    func makeDataset(_ folder: String, cells: Int, genes: Int, seed: Int, obsColumns: String = "cell_type,batch") throws {
        var r = try c2s(["simulate", "--cells", "\(cells)", "--genes", "\(genes)", "--cell-types", "3", "--seed", "\(seed)", "-o", folder + ".h5ad", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", folder + ".h5ad", "-o", folder, "--obs-columns", obsColumns, "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func testACorpusOfThreeDatasetsTrainsATokenizerAndAModel() throws {
        let tmp = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: tmp.file("data"), withIntermediateDirectories: false)
        try makeDataset(tmp.file("data/one"), cells: 40, genes: 120, seed: 1)
        try makeDataset(tmp.file("data/two"), cells: 30, genes: 100, seed: 2)
        try makeDataset(tmp.file("three"), cells: 30, genes: 140, seed: 3)
        // Two sources from a list (relative to it, one renamed), one on the command line.
        try "# sentence datasets\none\nsecond=two\n".write(toFile: tmp.file("data/list.txt"), atomically: true, encoding: .utf8)
        let corpus = tmp.file("corpus")
        var r = try c2s(["corpus", tmp.file("three"), "--sources", tmp.file("data/list.txt"), "--task", "cell_type_prediction:1",
                         "--task", "cell_type_generation:1", "--top-k", "16", "--weight", "three=2", "-o", corpus])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("three: 30 cells, weight 2.0 -> "), r.stderr)
        XCTAssertTrue(r.stderr.contains("only in some (genes.tsv)"), r.stderr)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: corpus)),
                       ["prompts.jsonl", "splits.json", "vocab.tsv", "genes.tsv", "manifest.json"])
        let examples = try lines(corpus + "/prompts.jsonl")
        XCTAssertEqual(examples.count, 60 + 40 + 30)
        XCTAssertEqual(Set(examples.map { String(($0["cell_name"] as! String).split(separator: "/")[0]) }), ["three", "one", "second"])
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: corpus + "/manifest.json"))) as? [String: Any])
        let sources = try XCTUnwrap(manifest["sources"] as? [[String: Any]])
        XCTAssertEqual(sources.map { $0["dataset"] as! String }, ["three", "one", "second"])
        XCTAssertEqual(sources.map { $0["path"] as! String }, [tmp.file("three"), tmp.file("data/one"), tmp.file("data/two")])
        for source in sources { XCTAssertEqual((source["sha256"] as! String).count, 64) }

        // A gene only one dataset has is in the union vocabulary, and so one token of the gene-aware tokenizer.
        let only = try String(contentsOfFile: corpus + "/genes.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: "\t").map(String.init) }.filter { $0[2] == "1" }
        XCTAssertFalse(only.isEmpty, "the datasets have different gene lists")
        let tokenizer = tmp.file("tok")
        r = try c2s(["tokenizer", "train", corpus + "/prompts.jsonl", "--gene-aware", corpus, "-o", tokenizer])
        XCTAssertEqual(r.status, 0, r.stderr)
        let vocabulary = try String(contentsOfFile: corpus + "/vocab.tsv", encoding: .utf8).split(separator: "\n").dropFirst().map { String($0.split(separator: "\t")[0]) }
        let added = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tokenizer + "/tokenizer.json"))) as? [String: Any])["added_tokens"] as! [[String: Any]]
        let tokens = Set(added.map { $0["content"] as! String })
        for gene in vocabulary { XCTAssertTrue(tokens.contains(gene), gene) }
        XCTAssertTrue(tokens.contains(only[0][0]))

        r = try c2s(["train", corpus + "/prompts.jsonl", "--new-model", "gpt_neox", "--hidden-size", "16", "--layers", "1", "--heads", "2",
                     "--context", "96", "--tokenizer", tokenizer, "--max-steps", "2", "-o", tmp.file("model")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let train = examples.filter { $0["split"] as! String == "train" }.count
        XCTAssertTrue(r.stderr.contains("\(train) training examples"), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("model/model.safetensors")))

        // With the corpus as --sentences: the labels of the generation task come from each
        // source's cells (named DATASET/CELL), and the output head starts from all of them;
        // nothing of the corpus stands in for a sentence dataset in the model folder.
        r = try c2s(["train", corpus + "/prompts.jsonl", "--new-model", "gpt_neox", "--hidden-size", "16", "--layers", "1", "--heads", "2",
                     "--context", "96", "--tokenizer", tokenizer, "--max-steps", "2", "--sentences", corpus, "--label-column", "cell_type",
                     "--gene-head-init", "16", "-o", tmp.file("model2")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("output head:"), r.stderr)
        let metadata = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("model2/c2s.json")))) as? [String: Any])
        let labels = try XCTUnwrap(metadata["labels"] as? [String: [String]])
        let generation = try XCTUnwrap(labels["cell_type_generation"], "\(labels)")
        let predicted = Set(examples.filter { $0["task"] as! String == "cell_type_prediction" }.map { $0["response"] as! String })
        XCTAssertFalse(generation.isEmpty)
        XCTAssertTrue(Set(generation).isSubset(of: predicted), "\(generation) against \(predicted)")
        XCTAssertNil(metadata["sentence_dataset"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("model2/manifest.json")))
    }

    /// Runs `c2s corpus` expecting failure: one error line naming `mentions`, the exit code,
    /// and no output or temporary folder left beside it.
    func assertFails(_ args: [String], in tmp: TemporaryFolder, code: Int32, mentions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: tmp.path))
        let r = try c2s(["corpus"] + args + ["-o", tmp.file("out"), "--task", "cell_type_prediction"])
        XCTAssertEqual(r.status, code, r.stderr, file: file, line: line)
        let errorLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        XCTAssertEqual(errorLines.count, 1, r.stderr, file: file, line: line)
        for m in mentions { XCTAssertTrue(r.stderr.contains(m), "\(m) not in \(r.stderr)", file: file, line: line) }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: tmp.path)), before, "nothing left behind", file: file, line: line)
    }

    func testBadInputIsOneErrorLineAndLeavesNothing() throws {
        let tmp = try TemporaryFolder()
        try makeDataset(tmp.file("typed"), cells: 20, genes: 80, seed: 1)
        try makeDataset(tmp.file("untyped"), cells: 20, genes: 80, seed: 2, obsColumns: "batch")
        try FileManager.default.createDirectory(atPath: tmp.file("empty"), withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: tmp.file("b"), withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: tmp.file("typed"), toPath: tmp.file("b/typed"))

        // Not a sentence dataset: the file that is missing.
        try assertFails([tmp.file("typed"), tmp.file("empty")], in: tmp, code: 2, mentions: [tmp.file("empty") + "/manifest.json"])
        // Two sources with one name: both folders.
        try assertFails([tmp.file("typed"), tmp.file("b/typed")], in: tmp, code: 3, mentions: [tmp.file("typed") + " and " + tmp.file("b/typed")])
        // A column a task needs: the source's folder and the column.
        try assertFails([tmp.file("typed"), tmp.file("untyped")], in: tmp, code: 3, mentions: [tmp.file("untyped") + ": ", "'cell_type'"])
        try assertFails([tmp.file("typed"), "--group-by", "donor"], in: tmp, code: 3, mentions: [tmp.file("typed") + ": group-by column 'donor'"])
        // A weight for no source, or without task weights.
        try assertFails([tmp.file("typed"), "--weight", "nope=2"], in: tmp, code: 3, mentions: ["no source is named 'nope'"])
        try assertFails([tmp.file("typed"), "--weight", "typed=2"], in: tmp, code: 3, mentions: ["--task NAME:W"])
        // Damaged files of a source: the file (and line) at fault.
        try FileManager.default.copyItem(atPath: tmp.file("typed"), toPath: tmp.file("broken"))
        let cells = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp.file("broken/cells.jsonl")))
        cells.seekToEndOfFile()
        cells.write(Data("{\"cell_name\": \"x\", \"cell_sentence\": \n".utf8))
        try cells.close()
        try assertFails([tmp.file("typed"), tmp.file("broken")], in: tmp, code: 2, mentions: [tmp.file("broken") + "/cells.jsonl: line "])
        try FileManager.default.copyItem(atPath: tmp.file("typed"), toPath: tmp.file("badvocab"))
        try "gene\tn_cells\nACTB\tmany\n".write(toFile: tmp.file("badvocab/vocab.tsv"), atomically: true, encoding: .utf8)
        try assertFails([tmp.file("badvocab")], in: tmp, code: 2, mentions: [tmp.file("badvocab") + "/vocab.tsv: line 2"])
        // A list file that is not there.
        try assertFails(["--sources", tmp.file("missing.txt")], in: tmp, code: 2, mentions: [tmp.file("missing.txt")])

        // A user's folder is never replaced, not even with --overwrite.
        try FileManager.default.createDirectory(atPath: tmp.file("out"), withIntermediateDirectories: false)
        try "mine".write(toFile: tmp.file("out/notes.txt"), atomically: true, encoding: .utf8)
        let r = try c2s(["corpus", tmp.file("typed"), "--task", "cell_type_prediction", "-o", tmp.file("out"), "--overwrite"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("not an earlier output of this command"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: tmp.file("out/notes.txt"), encoding: .utf8), "mine")
    }

    /// Real data: kang-ifnb-sub2k and garnett-pbmc800 (different gene lists, different label
    /// columns) as one corpus.
    func testRealDatasetsMakeOneCorpus() throws {
        let kang = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let garnett = try TestPaths.sharedFile("garnett-pbmc800/garnett_pbmc800.h5ad")
        let tmp = try TemporaryFolder()
        var r = try c2s(["convert", kang, "-o", tmp.file("kang"), "--obs-columns", "seurat_annotations,stim", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Its full 10x gene list spells four genes twice (C1orf220 and C1ORF220): convert sums them.
        r = try c2s(["convert", garnett, "-o", tmp.file("garnett"), "--obs-columns", "FACS_type", "--on-duplicate", "sum", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["corpus", tmp.file("kang"), tmp.file("garnett"), "--task", "cell_type_prediction:1", "--task", "cell_type_generation:1",
                     "--dataset-label-column", "kang=seurat_annotations", "--dataset-label-column", "garnett=FACS_type",
                     "--examples", "3000", "--top-k", "50", "-o", tmp.file("corpus")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let examples = try lines(tmp.file("corpus/prompts.jsonl"))
        XCTAssertEqual(examples.count, 3000)
        var splitsOf: [String: Set<String>] = [:]
        for e in examples { splitsOf[String((e["cell_name"] as! String).split(separator: "/")[0]), default: []].insert(e["split"] as! String) }
        XCTAssertEqual(splitsOf.keys.sorted(), ["garnett", "kang"])
        for (name, splits) in splitsOf { XCTAssertEqual(splits.count, 1, "\(name): \(splits)") }
        let labels = Set(examples.filter { $0["task"] as! String == "cell_type_prediction" }.map { $0["response"] as! String })
        XCTAssertTrue(labels.contains("CD4 T cells") && labels.contains("CD14 Mono"), "\(labels)")
        let genes = try String(contentsOfFile: tmp.file("corpus/genes.tsv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: "\t").map(String.init) }
        XCTAssertGreaterThan(genes.filter { $0[2] == "2" }.count, 5000, "most expressed genes are shared")
        XCTAssertGreaterThan(genes.filter { $0[2] == "1" }.count, 100, "some are measured in one dataset only")
    }
}
