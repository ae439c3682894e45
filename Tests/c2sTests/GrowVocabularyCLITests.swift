import Foundation
import TestSupport
import Transformer
import XCTest

/// `c2s tokenizer extend` and `c2s train --model M --tokenizer EXTENDED --grow-vocabulary`: a
/// model trained on short sentences fine-tuned on longer ones, its token rows kept and rows
/// added for the genes only the longer sentences hold (make demo's annotation phase with
/// ANNOTATION_TOP_GENES above TOP_GENES).
final class GrowVocabularyCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func testGrownModelsKeepEveryWeightAndGetNewRowsForTheNewGenes() throws {
        let tmp = try TemporaryFolder()
        let counts = tmp.file("sim.h5ad"), sentences = tmp.file("sentences")
        var r = try c2s(["simulate", "--cells", "60", "--genes", "150", "--cell-types", "3", "--seed", "2", "-o", counts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", counts, "-o", sentences, "--obs-columns", "cell_type", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for k in [10, 40] {
            r = try c2s(["prompts", sentences, "--task", "cell_type_prediction", "--examples", "60", "--label-column", "cell_type",
                         "--top-k", "\(k)", "--seed", "1", "-o", tmp.file("p\(k).jsonl"), "--overwrite", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        r = try c2s(["tokenizer", "train", tmp.file("p10.jsonl"), "--gene-aware", sentences, "--genes-within-first", "10", "-o", tmp.file("tok10")])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["tokenizer", "extend", tmp.file("tok10"), "--gene-aware", sentences, "--genes-within-first", "40", "-o", tmp.file("tok40")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let small = try Tokenizer.load(folder: URL(fileURLWithPath: tmp.file("tok10")))
        let large = try Tokenizer.load(folder: URL(fileURLWithPath: tmp.file("tok40")))
        XCTAssertGreaterThan(large.vocabularySize, small.vocabularySize + 20)
        XCTAssertTrue(String(decoding: r.stdout, as: UTF8.self).contains("vocabulary: \(small.vocabularySize) -> \(large.vocabularySize) ids"))

        for (type, table, head) in [("gpt_neox", "gpt_neox.embed_in.weight", "embed_out.weight"), ("gpt2", "transformer.wte.weight", nil as String?)] {
            let model = tmp.file("\(type)-10"), grown = tmp.file("\(type)-40")
            r = try c2s(["train", tmp.file("p10.jsonl"), "--new-model", type, "--hidden-size", "16", "--layers", "1", "--heads", "2",
                         "--context", "160", "--tokenizer", tmp.file("tok10"), "--max-steps", "3", "--learning-rate", "1e-2", "-o", model, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            // Without the flag: refused, with what to do.
            let phase = ["train", tmp.file("p40.jsonl"), "--model", model, "--tokenizer", tmp.file("tok40"), "--max-steps", "1",
                         "--learning-rate", "0", "-o", grown]
            r = try c2s(phase + ["--quiet"])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("--grow-vocabulary"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: grown))
            // Learning rate 0: the grown model's weights are the ones it starts from.
            r = try c2s(phase + ["--grow-vocabulary"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("vocabulary grown from \(small.vocabularySize) to \(large.vocabularySize) ids"), r.stderr)
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: grown + "/config.json"))) as! [String: Any]
            XCTAssertEqual(config["vocab_size"] as? Int, large.vocabularySize)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: grown + "/tokenizer.json")),
                           try Data(contentsOf: URL(fileURLWithPath: tmp.file("tok40/tokenizer.json"))))
            let a = try SafetensorsFile(path: model + "/model.safetensors"), b = try SafetensorsFile(path: grown + "/model.safetensors")
            XCTAssertEqual(a.tensorNames.sorted(), b.tensorNames.sorted())
            for name in a.tensorNames {
                let before = try a.floats(name), after = try b.floats(name)
                if name == table || name == head {
                    let old = small.vocabularySize * 16
                    XCTAssertEqual(after.count, large.vocabularySize * 16, name)
                    XCTAssertTrue(Array(after[..<old]) == before, "\(type) \(name): the old rows are kept")
                    let new = after[old...]
                    let std = (new.reduce(0) { $0 + $1 * $1 } / Float(new.count)).squareRoot()
                    XCTAssertEqual(std, 0.02, accuracy: 0.004, "\(type) \(name): new rows as a new model's, normal(0, 0.02)")
                } else {
                    XCTAssertTrue(after == before, "\(type) \(name)")
                }
            }
            // Annotation with the grown model reads the longer sentences' genes as single tokens.
            r = try c2s(["annotate", "--model", grown, sentences, "--top-genes", "40", "--mode", "constrained", "-o", tmp.file("\(type).h5ad"), "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }

        // A tokenizer trained anew renumbers the model's tokens: refused.
        r = try c2s(["tokenizer", "train", tmp.file("p40.jsonl"), "--gene-aware", sentences, "--genes-within-first", "40", "-o", tmp.file("anew")])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["train", tmp.file("p40.jsonl"), "--model", tmp.file("gpt_neox-10"), "--tokenizer", tmp.file("anew"),
                     "--grow-vocabulary", "--max-steps", "1", "-o", tmp.file("bad"), "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("does not extend the tokenizer of"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("bad")))
        r = try c2s(["train", tmp.file("p40.jsonl"), "--model", tmp.file("gpt_neox-10"), "--tokenizer", tmp.file("tok40"),
                     "--grow-vocabulary", "--lora-rank", "4", "-o", tmp.file("bad"), "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--grow-vocabulary") && r.stderr.contains("--lora-rank"), r.stderr)
        r = try c2s(["tokenizer", "extend", tmp.file("nothing"), "--gene-aware", sentences, "-o", tmp.file("bad")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("nothing") && r.stderr.contains("tokenizer.json"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("bad")))
    }
}
