import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import XCTest

/// `c2s evaluate annotation --baseline-expression` against scikit-learn (fixture from
/// scripts/fixtures/make_knn_baseline_fixtures.py) and `c2s report eval` end to end: every
/// figure present, well-formed, with as many marks as its data has.
final class EvalReportCLITests: XCTestCase {
    let evaluation = TestPaths.fixtures.appendingPathComponent("evaluation").path

    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func testKNNBaselineEqualsScikitLearn() throws {
        let tmp = try TemporaryFolder()
        let dir = evaluation + "/baseline/"
        let r = try c2s(["evaluate", "annotation", dir + "annotation.csv", "--truth-column", "cell_type", "--predicted-column", "predicted",
                         "--baseline-expression", dir + "expression.h5ad", "--splits", dir + "splits.json", "-o", tmp.file("m.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("k-NN baseline (k=10, 60 train cells, 25 genes)"), r.stderr)
        let e = try json(dir + "expected.json")
        let b = try json(tmp.file("m.json"))["baseline"] as! [String: Any]
        XCTAssertEqual(b["train_cells"] as? Int, 60)
        let m = b["metrics"] as! [String: Any]
        XCTAssertEqual((m["accuracy"] as! NSNumber).doubleValue, (e["baseline_accuracy"] as! NSNumber).doubleValue, accuracy: 1e-12)
        XCTAssertEqual(((m["weighted"] as! [String: Any])["f1"] as! NSNumber).doubleValue,
                       (e["baseline_weighted_f1"] as! NSNumber).doubleValue, accuracy: 1e-9)

        // Options that go together, and held-out cells only.
        var bad = try c2s(["evaluate", "annotation", dir + "annotation.csv", "--baseline-expression", dir + "expression.h5ad"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--splits"), bad.stderr)
        var splits = try json(dir + "splits.json")
        var assignments = splits["assignments"] as! [String: String]
        for k in assignments.keys { assignments[k] = "train" }
        splits["assignments"] = assignments
        try JSONSerialization.data(withJSONObject: splits).write(to: URL(fileURLWithPath: tmp.file("all-train.json")))
        bad = try c2s(["evaluate", "annotation", dir + "annotation.csv", "--truth-column", "cell_type", "--predicted-column", "predicted",
                       "--baseline-expression", dir + "expression.h5ad", "--splits", tmp.file("all-train.json"), "-o", tmp.file("n.json")])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("train split"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("n.json")))
    }

    /// --baselines-from takes the baselines of an earlier evaluation of the same cells (the
    /// earlier JSON's figures, not a new fit), and refuses them when anything they depend on
    /// differs, naming it, without writing the output.
    func testBaselinesAreReusedOnlyFromTheSameInputs() throws {
        let tmp = try TemporaryFolder()
        let dir = evaluation + "/baseline/"
        let common = ["evaluate", "annotation", dir + "annotation.csv", "--truth-column", "cell_type", "--predicted-column", "predicted",
                      "--baseline-expression", dir + "expression.h5ad"]
        var r = try c2s(common + ["--splits", dir + "splits.json", "-o", tmp.file("first.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        var first = try json(tmp.file("first.json"))
        let inputs = first["baseline_inputs"] as! [String: Any]
        XCTAssertEqual(inputs["rows"] as? Int, 20)
        XCTAssertEqual(inputs["truth_column"] as? String, "cell_type")
        // Mark the earlier figures, so that a reuse is told from a new fit (which gives the same numbers).
        var strong = first["baselines"] as! [String: Any]
        var lr = strong["logistic_regression_hvg"] as! [String: Any]
        lr["seconds"] = 12345.0
        strong["logistic_regression_hvg"] = lr
        first["baselines"] = strong
        try JSONSerialization.data(withJSONObject: first).write(to: URL(fileURLWithPath: tmp.file("marked.json")))
        r = try c2s(common + ["--splits", dir + "splits.json", "--baselines-from", tmp.file("marked.json"), "-o", tmp.file("second.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("baselines taken from"), r.stderr)
        let second = try json(tmp.file("second.json"))
        let reusedLR = (second["baselines"] as! [String: Any])["logistic_regression_hvg"] as! [String: Any]
        XCTAssertEqual((reusedLR["seconds"] as! NSNumber).doubleValue, 12345)
        XCTAssertEqual(second["baseline"] as? NSDictionary, first["baseline"] as? NSDictionary)
        XCTAssertEqual(second["baseline_inputs"] as? NSDictionary, inputs as NSDictionary)

        // Other inputs: the same splits written differently, another k, an earlier run without
        // baselines, a file that is no evaluation; and the option alone.
        let splits = try json(dir + "splits.json")
        try JSONSerialization.data(withJSONObject: splits, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: tmp.file("splits.json")))
        r = try c2s(["evaluate", "annotation", dir + "annotation.csv", "--truth-column", "cell_type", "--predicted-column", "predicted",
                     "-o", tmp.file("plain.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        try "not json".write(toFile: tmp.file("text.json"), atomically: true, encoding: .utf8)
        for (args, message) in [(["--splits", tmp.file("splits.json"), "--baselines-from", tmp.file("first.json")], "splits file"),
                                (["--splits", dir + "splits.json", "--baseline-k", "5", "--baselines-from", tmp.file("first.json")], "k (10 there, 5 here)"),
                                (["--splits", dir + "splits.json", "--no-strong-baselines", "--baselines-from", tmp.file("first.json")], "strong baselines (fitted there, not asked for here)"),
                                (["--splits", dir + "splits.json", "--hvg", "10", "--baselines-from", tmp.file("first.json")], "strong baselines' HVGs or PCs (2000 / 50 there, 10 / 50 here)"),
                                (["--splits", dir + "splits.json", "--baselines-from", tmp.file("plain.json")], "has no baselines"),
                                (["--splits", dir + "splits.json", "--baselines-from", tmp.file("text.json")], "not the JSON of 'c2s evaluate annotation'")] {
            r = try c2s(common + args + ["-o", tmp.file("bad.json")])
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(args.last!), "\(args): the error names the earlier file: \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("bad.json")))
        }
        r = try c2s(["evaluate", "annotation", dir + "annotation.csv", "--baselines-from", tmp.file("first.json")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--baselines-from needs --baseline-expression"), r.stderr)
    }

    /// The strong baselines are on by default with --baseline-expression and --splits, reported
    /// beside the all-gene k-NN, and their options are checked.
    func testStrongBaselinesAreReportedAndCheckTheirOptions() throws {
        let tmp = try TemporaryFolder()
        let dir = evaluation + "/baseline/"
        let common = ["evaluate", "annotation", dir + "annotation.csv", "--truth-column", "cell_type", "--predicted-column", "predicted",
                      "--baseline-expression", dir + "expression.h5ad", "--splits", dir + "splits.json"]
        var r = try c2s(common + ["--hvg", "20", "-o", tmp.file("m.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        for text in ["k-NN baseline (k=10, 60 train cells, 25 genes)", "logistic regression on 20 HVGs (of 25, chosen on the 60 train cells)",
                     "k-NN (k=10) on 20 PCs of the scaled HVGs", "chance: 33.3% (1/3 classes)"] {
            XCTAssertTrue(r.stderr.contains(text), "missing '\(text)' in \(r.stderr)")
        }
        let report = try json(tmp.file("m.json"))
        XCTAssertNotNil(report["baseline"] as? [String: Any])
        let strong = report["baselines"] as! [String: Any]
        let hvg = strong["hvg"] as! [String: Any]
        XCTAssertEqual(hvg["requested"] as? Int, 20)
        XCTAssertEqual(hvg["selected"] as? Int, 20)
        XCTAssertEqual(hvg["train_cells"] as? Int, 60)
        let lr = strong["logistic_regression_hvg"] as! [String: Any]
        XCTAssertEqual(lr["genes"] as? Int, 20)
        // 60 cells reach the rounding floor of the objective a little above the 1e-9 tolerance.
        XCTAssertLessThan((lr["gradient_max_norm"] as! NSNumber).doubleValue, 1e-7)
        XCTAssertEqual(((lr["metrics"] as! [String: Any])["cells"] as! NSNumber).intValue, 20)
        let knn = strong["knn_pca_hvg"] as! [String: Any]
        XCTAssertEqual(knn["components"] as? Int, 20)  // --pca 50 capped at the 20 genes
        XCTAssertEqual(knn["k"] as? Int, 10)
        let chance = strong["chance"] as! [String: Any]
        XCTAssertEqual((chance["uniform"] as! NSNumber).doubleValue, 1.0 / 3, accuracy: 1e-12)
        XCTAssertNotNil(chance["majority_class_accuracy"] as? NSNumber)

        r = try c2s(common + ["--no-strong-baselines", "-o", tmp.file("n.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNil(try json(tmp.file("n.json"))["baselines"])
        XCTAssertFalse(r.stderr.contains("logistic regression"), r.stderr)

        for (args, message) in [(["--hvg", "0"], "--hvg must be at least 1"), (["--pca", "0"], "--pca must be at least 1"),
                                (["--hvg", "100", "--no-strong-baselines"], "--no-strong-baselines")] {
            r = try c2s(common + args + ["-o", tmp.file("bad.json")])
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        r = try c2s(["evaluate", "annotation", dir + "annotation.csv", "--truth-column", "cell_type", "--predicted-column", "predicted", "--pca", "5"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--baseline-expression"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("bad.json")))
    }

    func testUMAPCommandWritesReproducibleCoordinates() throws {
        let tmp = try TemporaryFolder()
        let real = evaluation + "/cli/real.h5ad"
        var r = try c2s(["evaluate", "umap", real, "--pca", "5", "--epochs", "50", "-o", tmp.file("a.csv"), "--trustworthiness"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = String(decoding: r.stdout, as: UTF8.self)
        XCTAssertTrue(out.contains("UMAP of 40 cells (5 features)") && out.contains("trustworthiness (k = 15)"), out)
        let lines = try String(contentsOfFile: tmp.file("a.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "cell,umap1,umap2")
        XCTAssertEqual(lines.count, 41)
        for line in lines.dropFirst() { XCTAssertEqual(line.split(separator: ",").compactMap { Double($0) }.count, 2, String(line)) }
        r = try c2s(["evaluate", "umap", real, "--pca", "5", "--epochs", "50", "-o", tmp.file("b.csv"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file("a.csv"))), try Data(contentsOf: URL(fileURLWithPath: tmp.file("b.csv"))),
                       "the same seed gives the same map")
        r = try c2s(["evaluate", "umap", real, "--neighbors", "1", "-o", tmp.file("c.csv")])
        XCTAssertNotEqual(r.status, 0)
        // Bad settings and too few cells: a message naming the problem, and no CSV.
        for (args, message) in [(["--normalize=-5"], "--normalize must be positive"), (["--min-dist=-1"], "--min-dist must be 0 or more")] {
            r = try c2s(["evaluate", "umap", real, "-o", tmp.file("d.csv")] + args)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
        }
        try "cell,g1,g2\nc1,1,2\nc2,2,1\n".write(toFile: tmp.file("two.csv"), atomically: true, encoding: .utf8)
        r = try c2s(["evaluate", "umap", tmp.file("two.csv"), "-o", tmp.file("d.csv")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("two.csv") && r.stderr.contains("has 2 cell(s); a UMAP needs at least 3"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("d.csv")))
    }

    func testReportHasEveryFigureWellFormed() throws {
        let tmp = try TemporaryFolder()
        let cli = evaluation + "/cli/"
        var r = try c2s(["evaluate", "annotation", cli + "annotation.csv", "--predicted-column", "predicted", "-o", tmp.file("annotation.json"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["evaluate", "generation", "--generated", cli + "generated.h5ad", "--real", cli + "real.h5ad", "--genes", "5",
                     "-o", tmp.file("generation.json"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // A training log as 'c2s train' writes it: steps, and a validation every 2 steps.
        var log = ""
        for step in 1...6 {
            log += "{\"step\":\(step),\"epoch\":0.5,\"loss\":\(3.0 / Double(step)),\"lr\":0.001,\"grad_norm\":1,\"tokens\":100,\"target_tokens\":50,\"tokens_per_second\":1000,\"seconds\":0.1,\"elapsed\":\(Double(step) * 0.1)}\n"
            if step % 2 == 0 { log += "{\"step\":\(step),\"epoch\":0.5,\"validation_loss\":\(3.5 / Double(step)),\"validation_perplexity\":2,\"validation_tokens\":40,\"seconds\":0.1,\"elapsed\":1}\n" }
        }
        try log.write(toFile: tmp.file("metrics.jsonl"), atomically: true, encoding: .utf8)

        r = try c2s(["report", "eval", "--training-log", tmp.file("metrics.jsonl"), "--annotation-metrics", tmp.file("annotation.json"),
                     "--generation-metrics", tmp.file("generation.json"), "--generated", cli + "generated.h5ad", "--real", cli + "real.h5ad",
                     "-o", tmp.file("report")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(String(decoding: r.stdout, as: UTF8.self).contains("annotation accuracy (annotation)"))
        let text = try String(contentsOfFile: tmp.file("report/report.html"), encoding: .utf8)
        for external in ["<script", "<link", "src=\"http", "href=\"http", "url(http"] {
            XCTAssertFalse(text.contains(external), "report must be self-contained, found \(external)")
        }
        let page = try FigureSummary.parse(text)
        let annotation = try json(tmp.file("annotation.json"))["metrics"] as! [String: Any]
        let labels = annotation["labels"] as! [String]
        let generation = try json(tmp.file("generation.json"))
        let inputs = generation["inputs"] as! [[String: Any]]
        let cells = { (role: String) in inputs.first { $0["role"] as? String == role }!["cells"] as! Int }
        let shared = generation["shared_genes"] as! Int
        let types = (generation["mean_profiles"] as! [String: Any])["per_type"] as! [[String: Any]]

        // Every figure parses on its own as XML (an SVG document) and has its marks.
        for (id, svg) in page.svgByFigure { XCTAssertNoThrow(try FigureSummary.parse(svg), "figure \(id) is not well-formed") }
        XCTAssertEqual(page.marks("loss-curves", "polyline", class: "series").count, 2, "training and validation lines")
        XCTAssertEqual(page.marks("loss-curves", "circle", class: "series").count, 3, "a marker per validation")
        XCTAssertEqual(page.marks("confusion-annotation", "rect", class: "cells").count, labels.count * labels.count)
        XCTAssertEqual(page.marks("f1-annotation", "rect", class: "bars").count, labels.count)
        XCTAssertEqual(page.marks("map-real", "circle", class: "points").count, cells("real"))
        XCTAssertEqual(page.marks("map-generated", "circle", class: "points").count, cells("generated"))
        XCTAssertEqual(page.marks("umap-real", "circle", class: "points").count, cells("real"))
        XCTAssertEqual(page.marks("umap-generated", "circle", class: "points").count, cells("generated"))
        XCTAssertNotNil(page.ids["umap"], "the UMAP section")
        XCTAssertTrue(text.contains("transform"), "the UMAP paragraph says how generated cells are placed")
        XCTAssertFalse(text.contains("no UMAP implementation"))
        XCTAssertEqual(types.count, page.svgByFigure.keys.filter { $0.hasPrefix("profile-") }.count)
        for t in types {
            let id = "profile-" + String((t["label"] as! String).lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
            XCTAssertEqual(page.marks(id, "circle", class: "points").count, shared, "one point per shared gene in \(id)")
        }
        XCTAssertNotNil(page.ids["knn-table"])
        XCTAssertNotNil(page.ids["sentence-quality"])
        XCTAssertNotNil(page.ids["headline-table"])
        XCTAssertNil(page.ids["training-settings"], "no trainer_state.json beside the log, so no settings table")

        // --no-umap: the PCA map stays, the UMAP goes.
        r = try c2s(["report", "eval", "--generation-metrics", tmp.file("generation.json"), "--generated", cli + "generated.h5ad",
                     "--real", cli + "real.h5ad", "--no-umap", "-o", tmp.file("no-umap"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let plain = try FigureSummary.parse(try String(contentsOfFile: tmp.file("no-umap/report.html"), encoding: .utf8))
        XCTAssertEqual(plain.marks("map-real", "circle", class: "points").count, cells("real"))
        XCTAssertNil(plain.ids["umap-real"])
        XCTAssertNil(plain.ids["umap"])

        // Bad input: a log that is not a metrics log; nothing is written.
        try "not json\n".write(toFile: tmp.file("bad.jsonl"), atomically: true, encoding: .utf8)
        r = try c2s(["report", "eval", "--training-log", tmp.file("bad.jsonl"), "-o", tmp.file("bad")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.jsonl") && r.stderr.contains("line 1"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("bad/report.html")))
    }
}

extension EvalReportCLITests {
    /// The headline figures, printed and on the page, stand beside their references as the
    /// metrics files give them (chance, majority class, the three annotation baselines; chance
    /// and real vs real for generated cells; the label-blind null; the label-swap chance), and
    /// a log with per-task losses gives one curve per task with the training arguments folded.
    func testHeadlineFiguresStandBesideTheirReferences() throws {
        let tmp = try TemporaryFolder()
        let baseline = evaluation + "/baseline/", cli = evaluation + "/cli/"
        var r = try c2s(["evaluate", "annotation", baseline + "annotation.csv", "--truth-column", "cell_type", "--predicted-column", "predicted",
                         "--baseline-expression", baseline + "expression.h5ad", "--splits", baseline + "splits.json", "--hvg", "20",
                         "-o", tmp.file("constrained.json"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["evaluate", "generation", "--generated", cli + "generated.h5ad", "--real", cli + "real.h5ad", "--genes", "5",
                     "-o", tmp.file("generation.json"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // A label-swap result as 'c2s evaluate generation --label-swap-model' adds it.
        var generation = try json(tmp.file("generation.json"))
        generation["label_swap"] = [
            "task": "cell_type_generation", "template": 1, "labels": ["a", "b", "c", "d"], "top_genes": 5, "seed": 0,
            "cells_offered": 40, "cells_without_label": 0, "cells_with_unknown_label": 0, "cells_scored": 40,
            "mean_response_tokens": 7.5, "chance": 0.25, "seconds": 1.0, "per_label": [], "chosen_share": ["a": 1.0],
            "overall": ["cells": 40, "own_log_likelihood_per_token": -2.0, "others_log_likelihood_per_token": -2.1,
                        "gap_per_token": 0.1, "gap_per_cell": 0.75, "accuracy": 0.6],
        ] as [String: Any]
        try JSONSerialization.data(withJSONObject: generation).write(to: URL(fileURLWithPath: tmp.file("generation.json")))
        var log = ""
        for step in 1...40 {
            log += "{\"step\":\(step),\"epoch\":1,\"loss\":\(2.0 / Double(step)),\"lr\":0.001,\"grad_norm\":1,\"tokens\":100,\"target_tokens\":50,"
                + "\"tokens_per_second\":1000,\"seconds\":0.1,\"elapsed\":1,\"loss/cell_type_generation\":\(4.0 / Double(step)),\"loss/cell_type_prediction\":\(0.4 / Double(step))}\n"
            if step % 20 == 0 {
                log += "{\"step\":\(step),\"epoch\":1,\"validation_loss\":\(2.5 / Double(step)),\"validation_perplexity\":2,\"validation_tokens\":40,\"seconds\":0.1,\"elapsed\":1,"
                    + "\"validation_loss/cell_type_generation\":\(4.5 / Double(step)),\"validation_loss/cell_type_prediction\":\(0.5 / Double(step))}\n"
            }
        }
        try FileManager.default.createDirectory(atPath: tmp.file("model"), withIntermediateDirectories: true)
        try log.write(toFile: tmp.file("model/metrics.jsonl"), atomically: true, encoding: .utf8)
        try "{\"args\":{\"learning_rate\":0.001,\"epochs\":4},\"global_step\":40}".write(toFile: tmp.file("model/trainer_state.json"), atomically: true, encoding: .utf8)

        r = try c2s(["report", "eval", "--training-log", tmp.file("model/metrics.jsonl"), "--annotation-metrics", tmp.file("constrained.json"),
                     "--generation-metrics", tmp.file("generation.json"), "-o", tmp.file("report")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        let pct = { (v: Any?) in String(format: "%.1f%%", (v as! NSNumber).doubleValue * 100) }
        let pp = { (a: Any?, b: Any?) in String(format: "%+.1f pp", ((a as! NSNumber).doubleValue - (b as! NSNumber).doubleValue) * 100) }
        /// The line naming `reference` holds its value, the model's lead over it and the verdict.
        func check(_ reference: String, value: String, difference: String, verdict: String, file: StaticString = #filePath, line: UInt = #line) {
            guard let l = lines.first(where: { $0.contains(reference) }) else { return XCTFail("no line for \(reference) in\n\(lines.joined(separator: "\n"))", file: file, line: line) }
            for part in [value, difference, verdict] { XCTAssertTrue(l.contains("  \(part)"), "'\(part)' missing in: \(l)", file: file, line: line) }
        }
        func verdict(_ model: Any?, _ reference: Any?) -> String {
            (model as! NSNumber).doubleValue > (reference as! NSNumber).doubleValue ? "beaten" : "not beaten"
        }

        // Annotation accuracy beside chance, majority class and the three baselines.
        let annotation = try json(tmp.file("constrained.json"))
        let accuracy = (annotation["metrics"] as! [String: Any])["accuracy"]
        let strong = annotation["baselines"] as! [String: Any]
        let chance = strong["chance"] as! [String: Any]
        XCTAssertTrue(lines.contains { $0.hasPrefix("annotation accuracy (constrained)") && $0.contains(pct(accuracy)) }, lines.joined(separator: "\n"))
        check("chance (1/\(chance["classes"] as! Int) classes)", value: pct(chance["uniform"]), difference: pp(accuracy, chance["uniform"]),
              verdict: verdict(accuracy, chance["uniform"]))
        check("majority class (\(chance["majority_class"] as! String))", value: pct(chance["majority_class_accuracy"]),
              difference: pp(accuracy, chance["majority_class_accuracy"]), verdict: verdict(accuracy, chance["majority_class_accuracy"]))
        let knn = ((annotation["baseline"] as! [String: Any])["metrics"] as! [String: Any])["accuracy"]
        check("k-NN on all 25 genes (k=10)", value: pct(knn), difference: pp(accuracy, knn), verdict: verdict(accuracy, knn))
        let lr = ((strong["logistic_regression_hvg"] as! [String: Any])["metrics"] as! [String: Any])["accuracy"]
        check("logistic regression on 20 HVGs", value: pct(lr), difference: pp(accuracy, lr), verdict: verdict(accuracy, lr))
        let pcaRow = strong["knn_pca_hvg"] as! [String: Any]
        let pca = (pcaRow["metrics"] as! [String: Any])["accuracy"]
        check("k-NN on \(pcaRow["components"] as! Int) PCs of 20 HVGs (k=10)", value: pct(pca), difference: pp(accuracy, pca), verdict: verdict(accuracy, pca))

        // Generated cells' k-NN accuracy (expression, k = 10) beside chance and real vs real.
        let rows = generation["knn"] as! [[String: Any]]
        func score(_ name: String, _ space: String) -> Any? {
            let row = rows.first { ($0["name"] as! String).hasPrefix(name) && $0["space"] as? String == space }!
            return (row["scores"] as! [[String: Any]]).first { $0["k"] as? Int == 10 }!["accuracy"]
        }
        let generated = score("generated vs real", "expression"), real = score("real vs real", "expression")
        let knnChance = generation["knn_chance"]
        let generatedLine = lines.firstIndex { $0.hasPrefix("generated cells' k-NN accuracy (expression, k=10)") }
        XCTAssertNotNil(generatedLine, lines.joined(separator: "\n"))
        if let i = generatedLine {
            XCTAssertTrue(lines[i].contains(pct(generated)) && lines[i].contains("chance (1/types)") && lines[i].contains(pct(knnChance))
                          && lines[i].contains(pp(generated, knnChance)), lines[i])
            let ratio = String(format: "%.0f%% of it reached", 100 * (generated as! NSNumber).doubleValue / (real as! NSNumber).doubleValue)
            XCTAssertTrue(lines[i + 1].contains("real vs real (leave-one-out)") && lines[i + 1].contains(pct(real)) && lines[i + 1].hasSuffix(ratio), lines[i + 1])
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("separation of generated cells among themselves (expression, k=10)") && $0.contains(pct(score("generated vs generated", "expression"))) })
        let profiles = (generation["mean_profiles"] as! [String: Any])["mean_pearson"] as! NSNumber
        let null = (generation["profile_null"] as! [String: Any])["mean_pearson"] as! NSNumber
        XCTAssertTrue(lines.contains { $0.hasPrefix("mean-profile Pearson") && $0.contains(String(format: "%.4g", profiles.doubleValue))
                                       && $0.contains("label-blind null") && $0.contains(String(format: "%.4g", null.doubleValue))
                                       && $0.contains(String(format: "%+.3g", profiles.doubleValue - null.doubleValue)) }, lines.joined(separator: "\n"))
        let ceiling = (generation["profile_real_vs_real"] as! [String: Any])["mean_pearson"] as! NSNumber
        XCTAssertTrue(lines.contains { $0.contains("real vs real (as many real cells as generated)") && $0.contains(String(format: "%.4g", ceiling.doubleValue)) },
                      lines.joined(separator: "\n"))
        // The label-swap test beside its chance and the 0 gap of a label-blind model.
        check("chance (1/4 labels)", value: "25.0%", difference: "+35.0 pp", verdict: "beaten")
        XCTAssertTrue(lines.contains { $0.contains("log-likelihood gap") && $0.contains("+0.75 nats") && $0.hasSuffix("  beaten") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("final validation loss, cell_type_prediction (step 40)") && $0.contains(String(format: "%.4g", 0.5 / 40)) })

        // The page: the same table, a curve per task, the arguments folded.
        let text = try String(contentsOfFile: tmp.file("report/report.html"), encoding: .utf8)
        let page = try FigureSummary.parse(text)
        XCTAssertEqual(page.ids["headline-table"], "table")
        XCTAssertTrue(text.contains("logistic regression on 20 HVGs") && text.contains("model - reference"))
        XCTAssertEqual(page.marks("loss-curves", "g", class: "series").count, 4, "training and validation of each of the two tasks")
        XCTAssertEqual(page.marks("loss-curves", "circle", class: "series").count, 4, "a dot per validation of each task")
        XCTAssertNotNil(text.range(of: "<details class=\"settings\"><summary>Training arguments (3 settings from trainer_state.json)</summary><table class=\"settings\" id=\"training-settings\">"))
    }
}

/// The figures of a report page: each figure's SVG markup, and its elements.
final class FigureSummary: NSObject, XMLParserDelegate {
    struct Mark { var name: String; var classes: [String] }
    var ids: [String: String] = [:]
    var marksByFigure: [String: [Mark]] = [:]
    var svgByFigure: [String: String] = [:]
    private var figures: [String] = []
    private var classStack: [[String]] = []

    static func parse(_ markup: String) throws -> FigureSummary {
        let summary = FigureSummary()
        let parser = XMLParser(data: Data(markup.utf8))
        parser.delegate = summary
        guard parser.parse() else { throw parser.parserError ?? NSError(domain: "xml", code: 1) }
        // The SVG text of each figure, for parsing on its own.
        for id in summary.marksByFigure.keys {
            guard let f = markup.range(of: "id=\"\(id)\""), let start = markup.range(of: "<svg", range: f.upperBound..<markup.endIndex),
                  let end = markup.range(of: "</svg>", range: start.lowerBound..<markup.endIndex) else { continue }
            summary.svgByFigure[id] = String(markup[start.lowerBound..<end.upperBound])
        }
        return summary
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if let id = attributes["id"] { ids[id] = name }
        let classes = (attributes["class"] ?? "").split(separator: " ").map(String.init)
        classStack.append(classes)
        if name == "figure", let id = attributes["id"] { figures.append(id); marksByFigure[id] = [] }
        if let f = figures.last { marksByFigure[f, default: []].append(Mark(name: name, classes: classStack.flatMap { $0 })) }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        _ = classStack.popLast()
        if name == "figure" { _ = figures.popLast() }
    }

    /// Elements `name` of figure `id`, optionally inside (or carrying) a CSS class.
    func marks(_ id: String, _ name: String, class cssClass: String? = nil) -> [Mark] {
        (marksByFigure[id] ?? []).filter { $0.name == name && (cssClass == nil || $0.classes.contains(cssClass!)) }
    }
}
