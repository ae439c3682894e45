import Foundation
import TestSupport
import XCTest

/// `c2s evaluate generation --model ... --sentences ...`: the label-swap block in the metrics
/// JSON and the summary, and the errors for inputs it cannot use (with the untrained
/// pythia_text model: these tests check the plumbing, not the figures' size).
final class LabelSwapCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    struct Setting {
        let tmp: TemporaryFolder
        let sentences: String
        let model: String
        let labels: [String]
        /// Arguments of an ordinary generation evaluation (generated cells of the model, and
        /// the real cells' top genes).
        let evaluation: [String]
    }

    func setting() throws -> Setting {
        let tmp = try TemporaryFolder()
        let counts = tmp.file("sim.h5ad"), sentences = tmp.file("sentences"), model = tmp.file("model")
        var r = try c2s(["simulate", "--cells", "30", "--genes", "150", "--cell-types", "3", "--seed", "2", "-o", counts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", counts, "-o", sentences, "--obs-columns", "cell_type", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let labels = Array(Set(try String(contentsOfFile: sentences + "/cells.jsonl", encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["cell_type"] as! String
        })).sorted()
        try makeModel(model, metadata: ["tasks": ["cell_type_prediction", "cell_type_generation"],
                                        "labels": ["cell_type_prediction": labels], "top_k": 6, "label_column": "cell_type"],
                      sentences: sentences)
        r = try c2s(["generate-cells", "--model", model, "--every-label", "-n", "2", "-o", tmp.file("generated.h5ad"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["reconstruct", sentences, "--top-genes", "6", "-o", tmp.file("real.h5ad"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let evaluation = ["evaluate", "generation", "--generated", tmp.file("generated.h5ad"), "--real", tmp.file("real.h5ad"),
                          "--k", "1,2", "--gw-cells", "6", "--mmd-cells", "6"]
        return Setting(tmp: tmp, sentences: sentences, model: model, labels: labels, evaluation: evaluation)
    }

    /// The pythia_text fixture with a longer context, `metadata` as c2s.json (none when nil),
    /// and the dataset's manifest and vocabulary.
    func makeModel(_ folder: String, metadata: [String: Any]?, sentences: String) throws {
        let source = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for f in ["model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            try FileManager.default.copyItem(atPath: source + "/" + f, toPath: folder + "/" + f)
        }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as! [String: Any]
        config["max_position_embeddings"] = 2048
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: folder + "/config.json"))
        if let metadata { try JSONSerialization.data(withJSONObject: metadata).write(to: URL(fileURLWithPath: folder + "/c2s.json")) }
        for f in ["manifest.json", "vocab.tsv"] { try FileManager.default.copyItem(atPath: sentences + "/" + f, toPath: folder + "/" + f) }
    }

    func number(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }

    func testLabelSwapBlockAndSummary() throws {
        let s = try setting()
        // Splits as 'c2s prompts' writes them: only the test cells are offered.
        var r = try c2s(["prompts", s.sentences, "--task", "cell_type_generation", "--examples", "30", "--label-column", "cell_type",
                         "--stratify-by", "cell_type", "--top-k", "6", "-o", s.tmp.file("prompts.jsonl"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let splits = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.tmp.file("splits.json"))))
        let out = s.tmp.file("generation.json")
        r = try c2s(s.evaluation + ["--model", s.model, "--sentences", s.sentences, "--splits", s.tmp.file("splits.json"), "--split", "test",
                                    "--label-swap-cells", "4", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
        XCTAssertNotNil(report["knn"], "the generation metrics stay")
        let swap = try XCTUnwrap(report["label_swap"] as? [String: Any], "\(report.keys.sorted())")
        XCTAssertEqual(swap["labels"] as? [String], s.labels)
        XCTAssertEqual(swap["task"] as? String, "cell_type_generation")
        XCTAssertEqual(swap["top_genes"] as? Int, 6)
        let offered = try XCTUnwrap(swap["cells_offered"] as? Int)
        XCTAssertLessThan(offered, 30, "only the test split: \(splits)")
        XCTAssertEqual(swap["cells_scored"] as? Int, min(4, offered))
        XCTAssertEqual(number(swap["chance"]), 1.0 / 3, accuracy: 1e-12)
        let overall = try XCTUnwrap(swap["overall"] as? [String: Any])
        for key in ["own_log_likelihood_per_token", "others_log_likelihood_per_token", "gap_per_token", "gap_per_cell", "accuracy"] {
            XCTAssertTrue(number(overall[key]).isFinite, key)
        }
        XCTAssertEqual(number(overall["gap_per_token"]),
                       number(overall["own_log_likelihood_per_token"]) - number(overall["others_log_likelihood_per_token"]), accuracy: 1e-9)
        XCTAssertLessThan(number(overall["own_log_likelihood_per_token"]), 0)
        let perLabel = try XCTUnwrap(swap["per_label"] as? [[String: Any]])
        XCTAssertEqual(perLabel.map { $0["cells"] as! Int }.reduce(0, +), swap["cells_scored"] as? Int)
        let chosen = try XCTUnwrap(swap["chosen_share"] as? [String: Any])
        XCTAssertEqual(chosen.keys.sorted(), s.labels)
        XCTAssertEqual(chosen.values.map { number($0) }.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertTrue(r.stderr.contains("label swap (\(min(4, offered)) cells, 3 labels") && r.stderr.contains("chance 33.3%"), r.stderr)
    }

    /// Without --generated and --real only the label-swap test runs (no cells need generating).
    func testLabelSwapAloneAndItsOptionPairs() throws {
        let s = try setting()
        let out = s.tmp.file("swap.json")
        var r = try c2s(["evaluate", "generation", "--model", s.model, "--sentences", s.sentences, "--label-swap-cells", "5", "--seed", "3", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
        XCTAssertEqual(Array(report.keys), ["label_swap"])
        let swap = try XCTUnwrap(report["label_swap"] as? [String: Any])
        XCTAssertEqual(swap["cells_offered"] as? Int, 30)
        XCTAssertEqual(swap["cells_scored"] as? Int, 5)
        XCTAssertEqual(swap["seed"] as? Int, 3)
        XCTAssertTrue(r.stderr.contains("label swap (5 cells") && !r.stderr.contains("k-NN accuracy"), r.stderr)
        r = try c2s(["evaluate", "generation", "--generated", s.tmp.file("generated.h5ad"), "--model", s.model, "--sentences", s.sentences])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--generated and --real go together"), r.stderr)
        r = try c2s(["evaluate", "generation"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("or --model and --sentences"), r.stderr)
    }

    /// --generated with --sentences and --splits (no --model): the training overlap. Training
    /// cells offered as "generated" are all copies of training cells; the model's cells of an
    /// untrained model are not, and the held-out reference is the same either way.
    func testTrainingOverlapFindsCopiesOfTrainingCells() throws {
        let s = try setting()
        var r = try c2s(["prompts", s.sentences, "--task", "cell_type_generation", "--examples", "30", "--label-column", "cell_type",
                         "--stratify-by", "cell_type", "--top-k", "6", "-o", s.tmp.file("prompts.jsonl"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let splits = s.tmp.file("splits.json"), copies = s.tmp.file("train-copies.h5ad")
        r = try c2s(["reconstruct", s.sentences, "--top-genes", "6", "--splits", splits, "--split", "train", "-o", copies, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        func overlap(_ generated: String, _ name: String) throws -> (report: [String: Any], stderr: String) {
            let out = s.tmp.file(name)
            let r = try c2s(["evaluate", "generation", "--generated", generated, "--real", s.tmp.file("real.h5ad"), "--k", "1,2",
                             "--gw-cells", "6", "--mmd-cells", "6", "--genes", "6", "--sentences", s.sentences, "--splits", splits, "-o", out])
            XCTAssertEqual(r.status, 0, r.stderr)
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
            XCTAssertNil(report["label_swap"], "no --model, no label-swap test")
            return (try XCTUnwrap(report["training_overlap"] as? [String: Any], "\(report.keys.sorted())"), r.stderr)
        }
        let (copied, text) = try overlap(copies, "copies.json")
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: splits))) as! [String: Any]
        let assignments = try XCTUnwrap(plan["assignments"] as? [String: String])
        let trainCells = assignments.values.filter { $0 == "train" }.count, testCells = assignments.values.filter { $0 == "test" }.count
        XCTAssertEqual(copied["training_cells"] as? Int, trainCells)
        XCTAssertEqual(copied["genes"] as? Int, 6)
        let generated = try XCTUnwrap(copied["generated"] as? [String: Any]), heldOut = try XCTUnwrap(copied["held_out"] as? [String: Any])
        XCTAssertEqual(generated["cells"] as? Int, trainCells)
        XCTAssertEqual(number(generated["median"]), 1)
        XCTAssertEqual(number(generated["near_copies"]), 1)
        XCTAssertEqual(heldOut["cells"] as? Int, testCells)
        XCTAssertLessThan(number(heldOut["median"]), 1, "held-out cells are not training cells")
        XCTAssertTrue(text.contains("training overlap (nearest of \(trainCells) training cells"), text)
        let perLabel = try XCTUnwrap(copied["per_label"] as? [[String: Any]])
        XCTAssertEqual(perLabel.map { $0["label"] as! String }, s.labels)

        let (model, _) = try overlap(s.tmp.file("generated.h5ad"), "model.json")
        let modelCells = try XCTUnwrap(model["generated"] as? [String: Any])
        XCTAssertEqual(modelCells["exact_copies"] as? Int, 0)
        XCTAssertLessThan(number(modelCells["median"]), 1)
        XCTAssertEqual(number((model["held_out"] as? [String: Any])?["median"]), number(heldOut["median"]))

        // --split train leaves the overlap out (its reference must be held out), with a warning.
        let trainOut = s.tmp.file("train-split.json")
        r = try c2s(["evaluate", "generation", "--generated", copies, "--real", s.tmp.file("real.h5ad"), "--k", "1,2", "--gw-cells", "6",
                     "--mmd-cells", "6", "--genes", "6", "--sentences", s.sentences, "--splits", splits, "--split", "train", "-o", trainOut])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("--split train: no training overlap"), r.stderr)
        let trainReport = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trainOut))) as! [String: Any]
        XCTAssertNil(trainReport["training_overlap"])
        // --sentences without --model or --generated serves nothing: an error.
        r = try c2s(["evaluate", "generation", "--sentences", s.sentences, "--splits", splits, "-o", s.tmp.file("x.json")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--sentences serves the label-swap test"), r.stderr)
    }

    func testInputsTheTestCannotUseAreErrorsNamingTheFile() throws {
        let s = try setting()
        let out = s.tmp.file("bad.json")
        func assertFails(_ args: [String], _ says: [String], file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try c2s(s.evaluation + args + ["-o", out])
            XCTAssertNotEqual(r.status, 0, file: file, line: line)
            for text in says { XCTAssertTrue(r.stderr.contains(text), "expected '\(text)' in: \(r.stderr)", file: file, line: line) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no partial output", file: file, line: line)
        }
        let unlabelled = s.tmp.file("unlabelled-model")
        try makeModel(unlabelled, metadata: ["tasks": ["cell_type_generation"], "top_k": 6], sentences: s.sentences)
        try assertFails(["--model", unlabelled, "--sentences", s.sentences], [unlabelled + "/c2s.json", "lists no labels"])
        let bare = s.tmp.file("bare-model")
        try makeModel(bare, metadata: nil, sentences: s.sentences)
        try assertFails(["--model", bare, "--sentences", s.sentences], [bare + "/c2s.json", "does not exist"])
        try assertFails(["--model", s.model, "--sentences", s.sentences, "--label-swap-cells", "0"], ["--label-swap-cells must be at least 1"])
        try assertFails(["--model", s.model], ["needs both --model", "--sentences"])
        try assertFails(["--model", s.model, "--sentences", s.sentences, "--label-column", "tissue"],
                        [s.sentences, "has no column 'tissue'"])
    }
}
