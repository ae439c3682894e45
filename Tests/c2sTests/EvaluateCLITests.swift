import Foundation
import TestSupport
import XCTest

/// `c2s evaluate` end to end on the small files of Tests/Fixtures/evaluation/cli, against what
/// scikit-learn, scipy and POT compute on the same files (expected.json, made by
/// scripts/fixtures/make_evaluation_fixtures.py).
final class EvaluateCLITests: XCTestCase {
    let folder = TestPaths.fixtures.appendingPathComponent("evaluation/cli").path
    func file(_ name: String) -> String { folder + "/" + name }

    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func expected() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file("expected.json")))) as! [String: Any]
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func number(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }

    func assertClose(_ a: Any?, _ b: Any?, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let x = number(a), y = number(b)
        if x.isNaN || y.isNaN {
            XCTAssertTrue(x.isNaN && y.isNaN, "\(message): \(String(describing: a)) vs \(String(describing: b))", file: file, line: line)
        } else {
            XCTAssertEqual(x, y, accuracy: 1e-6, message, file: file, line: line)
        }
    }

    /// The accuracies of the k-NN row `name` in `space`, keyed by k.
    func knn(_ report: [String: Any], space: String, name: String) -> [String: Double] {
        let rows = report["knn"] as! [[String: Any]]
        guard let row = rows.first(where: { $0["space"] as? String == space && ($0["name"] as! String).hasPrefix(name) }) else { return [:] }
        var out: [String: Double] = [:]
        for s in row["scores"] as! [[String: Any]] { out[String(s["k"] as! Int)] = number(s["accuracy"]) }
        return out
    }

    func assertAccuracies(_ ours: [String: Double], _ reference: Any?, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let ref = (reference as! [String: Any]).mapValues { number($0) }
        XCTAssertEqual(Set(ours.keys), Set(ref.keys), message, file: file, line: line)
        for (k, v) in ref { XCTAssertEqual(ours[k] ?? .nan, v, accuracy: 1e-9, "\(message) k=\(k)", file: file, line: line) }
    }

    func testGenerationWithoutTrainingCells() throws {
        let tmp = try TemporaryFolder()
        let out = tmp.file("generation.json")
        let r = try c2s(["evaluate", "generation", "--generated", file("generated.h5ad"), "--real", file("real.h5ad"),
                         "--genes", "5", "-o", out, "--profiles", tmp.file("profiles.csv")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let e = try expected(), report = try json(out)
        XCTAssertEqual(report["shared_genes"] as? Int, e["common_genes"] as? Int)
        let knnE = e["knn_expression"] as! [String: Any]
        assertAccuracies(knn(report, space: "expression", name: "generated"), knnE["generated"], "expression generated")
        assertAccuracies(knn(report, space: "expression", name: "real vs real"), knnE["real_loo"], "expression leave-one-out")
        assertAccuracies(knn(report, space: "sentence", name: "generated"), (e["knn_sentence5"] as! [String: Any])["generated"], "sentence generated")
        let profiles = (report["mean_profiles"] as! [String: Any])["per_type"] as! [[String: Any]]
        let expectedProfiles = e["mean_profiles"] as! [[String: Any]]
        XCTAssertEqual(profiles.map { $0["label"] as! String }, expectedProfiles.map { $0["label"] as! String })
        for (o, x) in zip(profiles, expectedProfiles) {
            for key in ["pearson", "spearman", "r2"] { assertClose(o[key], x[key], "\(key) \(o["label"]!)") }
        }
        let quality = (report["sentence_quality"] as! [String: Any])["metrics"] as! [String: Any]
        let eq = e["sentence_quality"] as! [String: Any]
        for key in ["validity", "uniqueness", "mean_length", "median_length", "mean_validity", "mean_uniqueness"] {
            assertClose(quality[key], eq[key], key)
        }
        let mmd = (report["mmd"] as! [String: Any])["result"] as! [String: Any]
        for key in ["median_distance", "gamma", "mmd2_biased", "mmd2_unbiased"] { assertClose(mmd[key], (e["mmd"] as! [String: Any])[key], key) }
        let gw = (report["gromov_wasserstein"] as! [String: Any])["result"] as! [String: Any]
        assertClose(gw["loss"], (e["gw"] as! [String: Any])["loss"], "GW loss")
        // The generated type without real cells is reported, not silently dropped.
        XCTAssertTrue((report["warnings"] as! [String]).contains { $0.contains("Unseen") })
        let csv = try String(contentsOfFile: tmp.file("profiles.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("gene,generated:B,real:B,generated:Mono,real:Mono,generated:T,real:T\n"), csv)
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + (e["common_genes"] as! Int))
        // The summary puts chance, the real-vs-real and generated-vs-generated rows and the
        // label-blind null beside the model's figures, with the values of the JSON.
        let realTypes = Set(profiles.map { $0["label"] as! String }).count + ((report["mean_profiles"] as! [String: Any])["only_real"] as! [Any]).count
        XCTAssertEqual(number(report["knn_chance"]), 1 / Double(realTypes), accuracy: 1e-12)
        let null = try XCTUnwrap(report["profile_null"] as? [String: Any])
        XCTAssertTrue(r.stderr.contains(String(format: "(chance %.1f%%)", 100 / Double(realTypes))), r.stderr)
        XCTAssertTrue(r.stderr.contains("expression real vs real (reference)") && r.stderr.contains("expression generated vs generated (separation)"), r.stderr)
        let ceiling = try XCTUnwrap(report["profile_real_vs_real"] as? [String: Any])
        XCTAssertTrue(r.stderr.contains(String(format: "(label-blind null, mean of all real cells: %.3f; real vs real, as many real cells as generated: %.3f)",
                                               number(null["mean_pearson"]), number(ceiling["mean_pearson"]))), r.stderr)
    }

    func testGenerationWithTrainingCellsAndPCA() throws {
        let tmp = try TemporaryFolder()
        let e = try expected()
        var r = try c2s(["evaluate", "generation", "--generated", file("generated.h5ad"), "--real", file("real.h5ad"),
                         "--real-train", file("real_train.h5ad"), "--genes", "5", "-o", tmp.file("a.json"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "", "--quiet prints nothing")
        var report = try json(tmp.file("a.json"))
        assertAccuracies(knn(report, space: "expression", name: "real vs real"), (e["knn_expression"] as! [String: Any])["real_train"], "expression train")
        assertAccuracies(knn(report, space: "sentence", name: "real vs real"), (e["knn_sentence5"] as! [String: Any])["real_train"], "sentence train")

        r = try c2s(["evaluate", "generation", "--generated", file("generated.h5ad"), "--real", file("real.h5ad"),
                     "--real-train", file("real_train.h5ad"), "--pca", "3", "-o", tmp.file("b.json"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        report = try json(tmp.file("b.json"))
        let pca = e["knn_pca3"] as! [String: Any]
        assertAccuracies(knn(report, space: "pca", name: "generated"), pca["generated"], "pca generated")
        assertAccuracies(knn(report, space: "pca", name: "real vs real"), pca["real_train"], "pca train")
        let mmd = (report["mmd"] as! [String: Any])["result"] as! [String: Any]
        for key in ["median_distance", "mmd2_biased", "mmd2_unbiased"] { assertClose(mmd[key], (e["mmd_pca3"] as! [String: Any])[key], key) }
    }

    func testAnnotationFromCSVAndH5AD() throws {
        let tmp = try TemporaryFolder()
        let e = try expected()["annotation"] as! [String: Any]
        for input in ["annotation.csv", "annotation.h5ad"] {
            let r = try c2s(["evaluate", "annotation", file(input), "--predicted-column", "predicted", "-o", tmp.file("m.json"),
                             "--per-class", tmp.file("per_class.csv"), "--confusion", tmp.file("confusion.csv")])
            XCTAssertEqual(r.status, 0, r.stderr)
            let m = try json(tmp.file("m.json"))["metrics"] as! [String: Any]
            assertClose(m["accuracy"], e["accuracy"], "accuracy")
            XCTAssertEqual(m["labels"] as! [String], e["labels"] as! [String])
            XCTAssertEqual(m["confusion_matrix"] as! [[Int]], e["confusion"] as! [[Int]])
            let weighted = m["weighted"] as! [String: Any], ew = e["weighted"] as! [Any]
            assertClose(weighted["precision"], ew[0], "weighted precision")
            assertClose(weighted["recall"], ew[1], "weighted recall")
            assertClose(weighted["f1"], ew[2], "weighted f1")
            let perClass = m["per_class"] as! [[String: Any]]
            for (i, c) in perClass.enumerated() {
                assertClose(c["f1"], (e["f1"] as! [Any])[i], "f1 \(c["label"]!)")
                assertClose(c["precision"], (e["precision"] as! [Any])[i], "precision \(c["label"]!)")
            }
            let csv = try String(contentsOfFile: tmp.file("per_class.csv"), encoding: .utf8)
            XCTAssertTrue(csv.hasPrefix("label,precision,recall,f1,support,predicted\n"))
            XCTAssertTrue(csv.contains("\"Mono, classical\","))
            XCTAssertTrue(try String(contentsOfFile: tmp.file("confusion.csv"), encoding: .utf8).hasPrefix("true\\predicted,B cell,"))
        }
        // Without -o the JSON goes to standard output.
        let r = try c2s(["evaluate", "annotation", file("annotation.csv"), "--predicted-column", "predicted", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let m = (try JSONSerialization.jsonObject(with: r.stdout) as! [String: Any])["metrics"] as! [String: Any]
        assertClose(m["accuracy"], e["accuracy"], "accuracy on stdout")
    }

    func testPerturbationWithBaseline() throws {
        let tmp = try TemporaryFolder()
        let e = try expected()["perturbation"] as! [String: Any]
        let r = try c2s(["evaluate", "perturbation", "--predicted", file("predicted.h5ad"), "--control", file("control.h5ad"),
                         "--true", file("true.h5ad"), "--top-n", "20,50,all,100", "--baseline-control", file("baseline_control.h5ad"),
                         "--baseline-perturbed", file("baseline_perturbed.h5ad"), "-o", tmp.file("p.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try json(tmp.file("p.json"))
        for (key, reportKey) in [("correlations", "correlations"), ("baseline_correlations", "baseline")] {
            var ours = report[reportKey] as? [[String: Any]]
            if ours == nil { ours = (report[reportKey] as! [String: Any])["correlations"] as? [[String: Any]] }
            let reference = e[key] as! [[String: Any]]
            XCTAssertEqual(ours!.count, reference.count)
            for (o, x) in zip(ours!, reference) {
                XCTAssertEqual(o["genes"] as? Int, x["genes"] as? Int)
                assertClose(o["pearson"], x["pearson"], "\(key) top \(String(describing: x["top_n"]))")
            }
        }
        let trivial = (report["baseline"] as! [String: Any])["perturbed_mean_correlations"] as! [[String: Any]]
        for (o, x) in zip(trivial, e["perturbed_mean_correlations"] as! [[String: Any]]) {
            XCTAssertEqual(o["genes"] as? Int, x["genes"] as? Int)
            assertClose(o["pearson"], x["pearson"], "perturbed-mean predictor top \(String(describing: x["top_n"]))")
        }
        XCTAssertEqual(trivial.count, 4)
        XCTAssertEqual((report["baseline"] as! [String: Any])["cell_types"] as! [String], ["type0", "type1", "type2"])
        // Leaving a type out of the baseline changes it.
        let r2 = try c2s(["evaluate", "perturbation", "--predicted", file("predicted.h5ad"), "--control", file("control.h5ad"),
                          "--true", file("true.h5ad"), "--baseline-control", file("baseline_control.h5ad"),
                          "--baseline-perturbed", file("baseline_perturbed.h5ad"), "--exclude-label", "type1", "--quiet", "-o", tmp.file("q.json")])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertEqual((try json(tmp.file("q.json"))["baseline"] as! [String: Any])["cell_types"] as! [String], ["type0", "type2"])
    }

    /// --group-by: each cell type scored on its own cells against its own training mean shift
    /// (or the mean of the others' for a type without training cells), as numpy computes it.
    func testPerturbationPerGroupAgainstEachTypesMeanShift() throws {
        let tmp = try TemporaryFolder()
        let e = try expected()["perturbation_groups"] as! [String: Any]
        let r = try c2s(["evaluate", "perturbation", "--predicted", file("grouped_predicted.h5ad"), "--control", file("grouped_control.h5ad"),
                         "--true", file("grouped_true.h5ad"), "--baseline-control", file("grouped_train_control.h5ad"),
                         "--baseline-perturbed", file("grouped_train_perturbed.h5ad"), "--group-by", "cell_type", "-o", tmp.file("g.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try json(tmp.file("g.json"))
        XCTAssertEqual(report["group_column"] as? String, "cell_type")
        let groups = try XCTUnwrap(report["groups"] as? [[String: Any]])
        let reference = e["groups"] as! [[String: Any]]
        XCTAssertEqual(groups.map { $0["group"] as! String }, reference.map { $0["group"] as! String }, "d is only in the predicted file")
        XCTAssertTrue((report["warnings"] as! [String]).contains { $0.contains("left out: d") }, "\(report["warnings"]!)")
        var modelMeans = [Double](repeating: 0, count: 3), baseMeans = [Double](repeating: 0, count: 3), above = [0, 0, 0]
        var trivialMeans = [Double](repeating: 0, count: 3), aboveTrivial = [0, 0, 0]
        for (g, x) in zip(groups, reference) {
            XCTAssertEqual(g["baseline_kind"] as? String, x["baseline_kind"] as? String)
            for key in ["correlations", "baseline_correlations", "perturbed_mean_correlations"] {
                let ours = g[key] as! [[String: Any]], theirs = x[key] as! [[String: Any]]
                XCTAssertEqual(ours.count, theirs.count)
                for (o, t) in zip(ours, theirs) {
                    XCTAssertEqual(o["genes"] as? Int, t["genes"] as? Int)
                    assertClose(o["pearson"], t["pearson"], "\(g["group"]!) \(key) top \(String(describing: t["top_n"]))")
                }
            }
            for k in 0..<3 {
                let m = number((x["correlations"] as! [[String: Any]])[k]["pearson"]), b = number((x["baseline_correlations"] as! [[String: Any]])[k]["pearson"])
                let p = number((x["perturbed_mean_correlations"] as! [[String: Any]])[k]["pearson"])
                modelMeans[k] += m / 3
                baseMeans[k] += b / 3
                trivialMeans[k] += p / 3
                if m > b { above[k] += 1 }
                if m > p { aboveTrivial[k] += 1 }
            }
        }
        XCTAssertEqual(groups.map { $0["control_cells"] as? Int }, [6, 6, 6])
        XCTAssertEqual(groups.map { $0["true_cells"] as? Int }, [7, 7, 7])
        let summary = try XCTUnwrap(report["group_summary"] as? [[String: Any]])
        for (k, s) in summary.enumerated() {
            assertClose(s["mean_pearson"], modelMeans[k], "mean over groups \(k)")
            assertClose(s["baseline_mean_pearson"], baseMeans[k], "baseline mean over groups \(k)")
            XCTAssertEqual(s["above_baseline"] as? Int, above[k])
            assertClose(s["perturbed_mean_mean_pearson"], trivialMeans[k], "perturbed-mean predictor mean over groups \(k)")
            XCTAssertEqual(s["above_perturbed_mean"] as? Int, aboveTrivial[k])
            XCTAssertEqual(s["groups"] as? Int, 3)
        }
        XCTAssertTrue(r.stderr.contains("mean-shift baseline") && r.stderr.contains("perturbed-mean predictor"), r.stderr)

        // Without baseline files the groups are still scored, with no baseline.
        let r2 = try c2s(["evaluate", "perturbation", "--predicted", file("grouped_predicted.h5ad"), "--control", file("grouped_control.h5ad"),
                          "--true", file("grouped_true.h5ad"), "--group-by", "cell_type", "-q", "-o", tmp.file("h.json")])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let plain = try json(tmp.file("h.json"))
        XCTAssertNil((plain["groups"] as! [[String: Any]])[0]["baseline_kind"])
        XCTAssertNil((plain["group_summary"] as! [[String: Any]])[0]["above_baseline"])
    }

    func testClearErrorsAndNoPartialOutput() throws {
        let tmp = try TemporaryFolder()
        let out = tmp.file("never.json")
        func check(_ args: [String], mentions: [String], file f: StaticString = #filePath, line: UInt = #line) throws {
            let r = try c2s(args + ["-o", out])
            XCTAssertNotEqual(r.status, 0, "should fail: \(args)", file: f, line: line)
            for m in mentions { XCTAssertTrue(r.stderr.contains(m), "stderr lacks \(m): \(r.stderr)", file: f, line: line) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output on error", file: f, line: line)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.path)
            XCTAssertTrue(leftovers.isEmpty, "no temporary files left: \(leftovers)", file: f, line: line)
        }
        try check(["evaluate", "generation", "--generated", file("generated.h5ad"), "--real", file("real.h5ad"), "--label-column", "celltype"],
                  mentions: ["generated.h5ad", "no obs column 'celltype'", "cell_type, cell_sentence"])
        try check(["evaluate", "generation", "--generated", file("annotation.h5ad"), "--real", file("real.h5ad")],
                  mentions: ["annotation.h5ad", "shares no gene name"])
        try check(["evaluate", "annotation", file("annotation.csv")], mentions: ["annotation.csv", "no column 'predicted_cell_type'", "cell, cell_type, predicted"])
        try check(["evaluate", "annotation", tmp.path + "/missing.csv"], mentions: ["missing.csv", "no such file"])
        try check(["evaluate", "perturbation", "--predicted", file("predicted.h5ad"), "--control", file("real.h5ad"), "--true", file("true.h5ad")],
                  mentions: ["real.h5ad", "shares no gene name with", "true.h5ad"])
        try check(["evaluate", "perturbation", "--predicted", file("predicted.h5ad"), "--control", file("control.h5ad"), "--true", file("true.h5ad"),
                   "--baseline-control", file("baseline_control.h5ad")], mentions: ["--baseline-perturbed"])
        try check(["evaluate", "perturbation", "--predicted", file("grouped_predicted.h5ad"), "--control", file("grouped_control.h5ad"),
                   "--true", file("grouped_true.h5ad"), "--group-by", "donor"], mentions: ["grouped_predicted.h5ad", "donor"])
        try check(["evaluate", "generation", "--generated", file("generated.h5ad"), "--real", file("real.h5ad"), "--pca", "30"],
                  mentions: ["PCA with 30 components"])
        // A duplicated gene name cannot be matched.
        let csv = tmp.path + "/../dup-\(UUID().uuidString).csv"
        try "cell,A,A,B\nc1,1,2,3\nc2,0,1,1\n".write(toFile: csv, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: csv) }
        try check(["evaluate", "perturbation", "--predicted", csv, "--control", csv, "--true", csv], mentions: ["'A' appears more than once"])
    }
}
