import Foundation
import SingleCell
import TestSupport
import XCTest

/// `c2s subset-genes` and `c2s combine-annotations` from the command line: a model trained on
/// sentences kept to the highly variable genes reads those sentences, or a count matrix kept to
/// its genes, and refuses whole sentences; its reading combines with a whole-sentence model's.
final class SubsetGenesCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func scores(_ path: String) throws -> [String: [String: Double]] {
        let obs = try H5ADSource(path: path).obs
        var out: [String: [String: Double]] = [:]
        for column in obs.columns where column.name.hasPrefix("c2s_score_") {
            for (i, cell) in obs.index.enumerated() { out[cell, default: [:]][column.name] = Double(column.values.text(at: i)!)! }
        }
        return out
    }

    func testSubsetModelsReadSubsetSentencesAndCombineWithWholeOnes() throws {
        let tmp = try TemporaryFolder()
        let counts = tmp.file("sim.h5ad"), sentences = tmp.file("sentences"), hvg = tmp.file("hvg")
        var r = try c2s(["simulate", "--cells", "60", "--genes", "150", "--cell-types", "3", "--seed", "4", "-o", counts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", counts, "-o", sentences, "--obs-columns", "cell_type", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["prompts", sentences, "--task", "cell_type_prediction", "--examples", "60", "--label-column", "cell_type",
                     "--stratify-by", "cell_type", "--top-k", "10", "--seed", "1", "-o", tmp.file("whole.jsonl"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let splits = tmp.file("splits.json")
        XCTAssertTrue(FileManager.default.fileExists(atPath: splits))

        // Usage: exactly one way of choosing.
        for bad in [["--genes", splits, "--highly-variable", "5"], []] {
            r = try c2s(["subset-genes", sentences, "-o", tmp.file("bad")] + bad)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("give one of --highly-variable N and --genes FILE"), r.stderr)
        }
        r = try c2s(["subset-genes", sentences, "--highly-variable", "40", "--splits", splits, "-o", hvg])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("40 genes") && r.stderr.contains("'train' cells of"), r.stderr)
        // What sentence positions mean changed: no inverse transform to refit or reconstruct with.
        r = try c2s(["fit", hvg])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("fit \(sentences) instead"), r.stderr)
        r = try c2s(["reconstruct", hvg, "-o", tmp.file("back.h5ad"), "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("reconstruct from \(sentences)"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("back.h5ad")))

        r = try c2s(["prompts", hvg, "--task", "cell_type_prediction", "--examples", "60", "--label-column", "cell_type",
                     "--splits", splits, "--top-k", "10", "--seed", "1", "-o", tmp.file("hvg.jsonl"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        var models: [String: String] = [:]
        for (name, prompts, data) in [("hvg", tmp.file("hvg.jsonl"), hvg), ("whole", tmp.file("whole.jsonl"), sentences)] {
            r = try c2s(["tokenizer", "train", prompts, "--gene-aware", data, "-o", tmp.file("tok-\(name)")])
            XCTAssertEqual(r.status, 0, r.stderr)
            models[name] = tmp.file("model-\(name)")
            r = try c2s(["train", prompts, "--new-model", "gpt_neox", "--hidden-size", "16", "--layers", "1", "--heads", "2",
                         "--context", "64", "--tokenizer", tmp.file("tok-\(name)"), "--max-steps", "3", "--learning-rate", "1e-2",
                         "--sentences", data, "--label-column", "cell_type", "-o", models[name]!, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }

        let annotate = ["annotate", "--top-genes", "10", "--mode", "constrained", "--quiet"]
        r = try c2s(annotate + ["--model", models["hvg"]!, hvg, "-o", tmp.file("hvg.h5ad")])
        XCTAssertEqual(r.status, 0, r.stderr)
        // A count matrix is seen through the model's vocabulary, the subset's genes: a cell whose
        // 11 highest counts among them are distinct gets the first 10 genes of its subset
        // sentence, so the same scores (equal counts may be ordered otherwise: ties are arbitrary).
        r = try c2s(annotate + ["--model", models["hvg"]!, counts, "-o", tmp.file("hvg-counts.h5ad")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let fromSentences = try scores(tmp.file("hvg.h5ad")), fromCounts = try scores(tmp.file("hvg-counts.h5ad"))
        XCTAssertEqual(fromSentences.count, 60)
        XCTAssertEqual(Set(fromCounts.keys), Set(fromSentences.keys))
        let subset = Set(try String(contentsOfFile: hvg + "/genes.txt", encoding: .utf8).split(separator: "\n").map(String.init))
        let source = try ExpressionReader.open(counts)
        let matrix = try source.readRows(0..<source.cellCount)
        var compared = 0
        for (i, cell) in source.obs.index.enumerated() {
            let top = matrix.range(ofRow: i).filter { subset.contains(source.geneNames[Int(matrix.indices[$0])]) }
                .map { matrix.values[$0] }.sorted(by: >).prefix(11)
            guard Set(top).count == top.count else { continue }
            compared += 1
            for (label, s) in fromSentences[cell]! { XCTAssertEqual(fromCounts[cell]![label]!, s, accuracy: 1e-4, "\(cell) \(label)") }
        }
        XCTAssertGreaterThan(compared, 5)
        // Whole sentences for a subset model, and subset sentences for a whole-sentence model: refused.
        r = try c2s(annotate + ["--model", models["hvg"]!, sentences, "-o", tmp.file("x.h5ad")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("sentences kept to 40 genes"), r.stderr)
        r = try c2s(annotate + ["--model", models["whole"]!, hvg, "-o", tmp.file("x.h5ad")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("keep only 40 genes"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("x.h5ad")))

        // The two views' readings combined: each label's mean log-likelihood.
        r = try c2s(annotate + ["--model", models["whole"]!, sentences, "-o", tmp.file("whole.h5ad")])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["combine-annotations", tmp.file("whole.h5ad"), tmp.file("hvg.h5ad"), "-o", tmp.file("both.h5ad")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("60 cells, 3 labels"), r.stderr)
        let whole = try scores(tmp.file("whole.h5ad")), both = try scores(tmp.file("both.h5ad"))
        for (cell, row) in both {
            for (label, s) in row { XCTAssertEqual(s, (whole[cell]![label]! + fromSentences[cell]![label]!) / 2, accuracy: 1e-9) }
        }
        r = try c2s(["combine-annotations", tmp.file("whole.h5ad"), "-o", tmp.file("one.h5ad")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("at least two"), r.stderr)
    }
}
