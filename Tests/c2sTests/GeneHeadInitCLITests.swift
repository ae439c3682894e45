import Foundation
import TestSupport
import Transformer
import XCTest

/// `c2s train --gene-head-init N`: the output head's gene rows start from principal components
/// of the training cells' sentences; everything else is the seeded random initialisation.
final class GeneHeadInitCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func testGeneRowsStartFromPrincipalComponentsOfTheTrainingSentences() throws {
        let tmp = try TemporaryFolder()
        let counts = tmp.file("sim.h5ad"), sentences = tmp.file("sentences"), prompts = tmp.file("prompts.jsonl"), tok = tmp.file("tok")
        var r = try c2s(["simulate", "--cells", "80", "--genes", "120", "--cell-types", "3", "--seed", "4", "-o", counts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", counts, "-o", sentences, "--obs-columns", "cell_type", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["prompts", sentences, "--task", "cell_type_generation", "--examples", "80", "--label-column", "cell_type",
                     "--stratify-by", "cell_type", "--top-k", "20", "-o", prompts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["tokenizer", "train", prompts, "--gene-aware", sentences, "-o", tok])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Learning rate 0: the saved weights are the initial ones.
        let common = ["train", prompts, "--new-model", "gpt_neox", "--hidden-size", "16", "--layers", "1", "--heads", "2",
                      "--context", "96", "--tokenizer", tok, "--max-steps", "1", "--learning-rate", "0", "--sentences", sentences]
        r = try c2s(common + ["--gene-head-init", "20", "-o", tmp.file("pca")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("output head:") && r.stderr.contains("principal components"), r.stderr)
        r = try c2s(common + ["-o", tmp.file("plain"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let a = try SafetensorsFile(path: tmp.file("pca/model.safetensors")), b = try SafetensorsFile(path: tmp.file("plain/model.safetensors"))
        XCTAssertEqual(try a.floats("gpt_neox.embed_in.weight"), try b.floats("gpt_neox.embed_in.weight"), "the input embeddings stay random")
        let headA = try a.floats("embed_out.weight"), headB = try b.floats("embed_out.weight")
        let d = 16, vocabulary = headA.count / d
        let diff = (0..<vocabulary).map { t in (0..<d).map { headA[t * d + $0] - headB[t * d + $0] } }
        func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

        // Which tokens are single genes, by the tokenizer.
        let tokenizer = try Tokenizer.load(folder: URL(fileURLWithPath: tok))
        let trainNames = Set(try String(contentsOfFile: prompts, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return o?["split"] as? String == "train" ? o?["cell_name"] as? String : nil
        })
        var trainSentences: [[String]] = []
        for line in try String(contentsOfFile: sentences + "/cells.jsonl", encoding: .utf8).split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            if trainNames.contains(o["cell_name"] as! String) { trainSentences.append(Array((o["cell_sentence"] as! String).split(separator: " ").prefix(20).map(String.init))) }
        }
        let genes = Set(trainSentences.flatMap { $0 })
        var geneTokens: [String: [Int]] = [:]
        for g in genes {
            for text in [" " + g, g] {
                let ids = tokenizer.encode(text, addSpecialTokens: false)
                if ids.count == 1 { geneTokens[g, default: []].append(Int(ids[0])) }
            }
        }
        let changed = Set(geneTokens.values.flatMap { $0 })
        XCTAssertGreaterThan(changed.count, 20)
        for t in 0..<vocabulary where !changed.contains(t) { XCTAssertEqual(norm(diff[t]), 0, "token \(t) is no training gene: unchanged") }
        for (g, tokens) in geneTokens {
            XCTAssertGreaterThan(norm(diff[tokens[0]]), 0, g)
            // The same loadings (added to different random rows: equal up to float rounding).
            if tokens.count == 2 { XCTAssertLessThan(zip(diff[tokens[0]], diff[tokens[1]]).map { abs($0 - $1) }.max()!, 1e-7, "\" \(g)\" and \"\(g)\"") }
        }
        // The added rows have the random rows' mean norm.
        let rows = Array(changed)
        let added = rows.map { norm(diff[$0]) }.reduce(0, +) / Float(rows.count)
        let random = rows.map { t in norm(Array(headB[t * d..<(t + 1) * d])) }.reduce(0, +) / Float(rows.count)
        XCTAssertEqual(added, random, accuracy: 1e-4 * random)

        // Co-expressed genes point the same way: the most correlated pair of gene features
        // (rank weights across the training cells) has similar rows, the most anti-correlated
        // pair opposite ones.
        let list = genes.sorted().filter { g in trainSentences.filter { $0.contains(g) }.count >= 5 && trainSentences.filter { !$0.contains(g) }.count >= 5 }
        let denominator = log(21.0)
        let features = list.map { g in trainSentences.map { s in s.firstIndex(of: g).map { (denominator - log(Double($0 + 1))) / denominator } ?? 0 } }
        func correlation(_ x: [Double], _ y: [Double]) -> Double {
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
            return sxy / (x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) } * y.reduce(0) { $0 + ($1 - my) * ($1 - my) }).squareRoot()
        }
        var best = (0.0, 0, 0), worst = (0.0, 0, 0)
        for i in list.indices { for j in list.indices where j > i {
            let c = correlation(features[i], features[j])
            if c > best.0 { best = (c, i, j) }
            if c < worst.0 { worst = (c, i, j) }
        } }
        func cosine(_ i: Int, _ j: Int) -> Float {
            let x = diff[geneTokens[list[i]]![0]], y = diff[geneTokens[list[j]]![0]]
            return zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } / (norm(x) * norm(y))
        }
        XCTAssertGreaterThan(best.0, 0.5)
        XCTAssertLessThan(worst.0, -0.3)
        XCTAssertGreaterThan(cosine(best.1, best.2), 0.5, "r = \(best.0) between \(list[best.1]) and \(list[best.2])")
        XCTAssertLessThan(cosine(worst.1, worst.2), 0, "r = \(worst.0) between \(list[worst.1]) and \(list[worst.2])")

        // Refused where it cannot apply, before anything is written.
        r = try c2s(["train", prompts, "--model", tmp.file("plain"), "--max-steps", "1", "--sentences", sentences,
                     "--gene-head-init", "20", "-o", tmp.file("x")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("for new models"), r.stderr)
        r = try c2s(Array(common.dropLast(2)) + ["--gene-head-init", "20", "-o", tmp.file("y")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--sentences"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("x")) || FileManager.default.fileExists(atPath: tmp.file("y")))
    }
}
