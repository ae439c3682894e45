import Foundation
import SingleCell
import TestSupport
import XCTest

/// The C2S task commands (annotate, generate-cells, embed, predict-perturbation,
/// predict-tissue, interpret) on a simulated dataset and the tiny pythia_text model (untrained:
/// these tests check outputs, chunking, resuming and messages, not the answers' quality).
final class TaskCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    /// Simulated counts, their sentence dataset, and a model folder with C2S metadata.
    struct Setting {
        let tmp: TemporaryFolder
        let counts: String
        let sentences: String
        let model: String
        let labels: [String]
    }

    func setting() throws -> Setting {
        let tmp = try TemporaryFolder()
        let counts = tmp.file("sim.h5ad"), sentences = tmp.file("sentences"), model = tmp.file("model")
        var r = try c2s(["simulate", "--cells", "30", "--genes", "150", "--cell-types", "3", "--seed", "2", "-o", counts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["convert", counts, "-o", sentences, "--obs-columns", "cell_type,batch", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let labels = Array(Set(try lines(sentences + "/cells.jsonl").map { $0["cell_type"] as! String })).sorted()
        try makeModel(model, metadata: ["tasks": ["cell_type_prediction", "cell_type_generation", "perturbation_prediction"],
                                        "labels": ["cell_type_prediction": labels], "top_k": 8, "label_column": "cell_type"],
                      sentences: sentences)
        return Setting(tmp: tmp, counts: counts, sentences: sentences, model: model, labels: labels)
    }

    /// The pythia_text fixture with a longer context (`context` tokens); with `metadata`, also
    /// c2s.json and the dataset's manifest and vocabulary.
    func makeModel(_ folder: String, metadata: [String: Any]?, sentences: String?, context: Int = 2048) throws {
        let source = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for f in ["model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            try FileManager.default.copyItem(atPath: source + "/" + f, toPath: folder + "/" + f)
        }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as! [String: Any]
        config["max_position_embeddings"] = context
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: folder + "/config.json"))
        if let metadata { try JSONSerialization.data(withJSONObject: metadata).write(to: URL(fileURLWithPath: folder + "/c2s.json")) }
        if let sentences {
            for f in ["manifest.json", "vocab.tsv"] { try FileManager.default.copyItem(atPath: sentences + "/" + f, toPath: folder + "/" + f) }
        }
    }

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// A CSV as header + rows (the test outputs hold no quoted commas in the fields read).
    func csv(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let all = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (all[0], Array(all.dropFirst()))
    }

    func runFolders(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".c2s-run") }
    }

    func testConstrainedAnnotationChoosesTheBestScoredLabel() throws {
        let s = try setting()
        let out = s.tmp.file("annotated.h5ad")
        let r = try c2s(["annotate", "--model", s.model, s.counts, "-o", out, "--compare-column", "cell_type", "--chunk-size", "7"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("30 cells annotated") && r.stderr.contains("accuracy against cell_type"), r.stderr)
        let table = try csv(s.tmp.file("annotated.csv"))
        let scoreColumns = s.labels.map { table.header.firstIndex(of: "c2s_score_" + $0)! }
        let labelColumn = try XCTUnwrap(table.header.firstIndex(of: "c2s_label"))
        XCTAssertEqual(table.rows.count, 30)
        for row in table.rows {
            let scores = scoreColumns.map { Double(row[$0])! }
            XCTAssertEqual(row[labelColumn], s.labels[scores.indices.max { scores[$0] < scores[$1] }!])
            XCTAssertEqual(Double(row[table.header.firstIndex(of: "c2s_score")!])!, scores.max()!)
        }
        // The h5ad: one row per cell, the input's columns and the predictions in obs, no genes.
        let h5ad = try H5ADSource(path: out)
        XCTAssertEqual(h5ad.cellCount, 30)
        XCTAssertEqual(h5ad.geneCount, 0)
        XCTAssertEqual(h5ad.obs.column("c2s_label")?.values.count, 30)
        XCTAssertNotNil(h5ad.obs.column("cell_type"))
        XCTAssertEqual(h5ad.obs.index, table.rows.map { $0[0] })
        XCTAssertEqual(try runFolders(s.tmp.path), [])
    }

    func testUnlabelledCountMatrixIsAnnotated() throws {
        let s = try setting()
        // A CSV count matrix with nothing but counts: cells x genes, vocabulary gene names.
        let genes = try String(contentsOfFile: s.sentences + "/vocab.tsv", encoding: .utf8).split(separator: "\n").dropFirst().prefix(40)
            .map { String($0.split(separator: "\t")[0]) }
        var text = "cell," + genes.joined(separator: ",") + "\n"
        for c in 0..<5 { text += "c\(c)," + genes.indices.map { String(($0 * 7 + c * 3) % 5) }.joined(separator: ",") + "\n" }
        let counts = s.tmp.file("counts.csv")
        try text.write(toFile: counts, atomically: true, encoding: .utf8)
        let out = s.tmp.file("unlabelled.h5ad")
        let r = try c2s(["annotate", "--model", s.model, counts, "-o", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The CSV beside the output must never replace the input.
        let clash = try c2s(["annotate", "--model", s.model, counts, "-o", s.tmp.file("counts.h5ad"), "--overwrite"])
        XCTAssertNotEqual(clash.status, 0)
        XCTAssertTrue(clash.stderr.contains("--csv"), clash.stderr)
        XCTAssertEqual(try String(contentsOfFile: counts, encoding: .utf8), text)
        let result = try csv(s.tmp.file("unlabelled.csv"))
        XCTAssertEqual(result.header.prefix(2), ["cell_name", "c2s_label"])
        XCTAssertEqual(result.rows.count, 5)
        let h5ad = try H5ADSource(path: out)
        XCTAssertEqual(h5ad.obs.index, ["c0", "c1", "c2", "c3", "c4"])
        let predicted = try XCTUnwrap(h5ad.obs.column("c2s_label")).values
        XCTAssertTrue((0..<5).allSatisfy { predicted.text(at: $0).map(s.labels.contains) == true })
    }

    func testInterruptedRunResumesFromItsFinishedChunks() throws {
        let s = try setting()
        let args = ["annotate", "--model", s.model, s.sentences, "--chunk-size", "8", "--quiet"]
        let whole = s.tmp.file("whole.h5ad")
        XCTAssertEqual(try c2s(args + ["-o", whole]).status, 0)
        let reference = try String(contentsOfFile: s.tmp.file("whole.csv"), encoding: .utf8)

        let out = s.tmp.file("resumed.h5ad")
        var r = try c2s(args + ["-o", out, "--interrupt-after-chunks", "2"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--resume"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let run = s.tmp.file(".resumed.h5ad.c2s-run")
        let chunks = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("chunk-") }.sorted()
        XCTAssertEqual(chunks, ["chunk-000000.jsonl", "chunk-000001.jsonl"])

        // Without --resume, or with other settings, the leftovers are refused.
        r = try c2s(args + ["-o", out])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("2 finished chunk(s)") && r.stderr.contains("--resume"), r.stderr)
        r = try c2s(args + ["-o", out, "--resume", "--template", "2"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("template: 1 then, 2 now"), r.stderr)

        // Mark a finished chunk: if resuming recomputed it, the mark would be gone.
        let first = run + "/chunk-000000.jsonl"
        var saved = try String(contentsOfFile: first, encoding: .utf8)
        let firstLabel = try XCTUnwrap(try lines(first)[0]["label"] as? String)
        let mark = try XCTUnwrap(saved.range(of: "\"label\":\"\(firstLabel)\""))
        saved.replaceSubrange(mark, with: "\"label\":\"SENTINEL\"")
        try saved.write(toFile: first, atomically: true, encoding: .utf8)
        r = try c2s(args + ["-o", out, "--resume"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let resumed = try String(contentsOfFile: s.tmp.file("resumed.csv"), encoding: .utf8)
        let refLines = reference.split(separator: "\n"), resLines = resumed.split(separator: "\n")
        XCTAssertEqual(refLines.count, resLines.count)
        XCTAssertTrue(resLines[1].contains(",SENTINEL,"), String(resLines[1]))
        XCTAssertEqual(resLines[1].replacingOccurrences(of: ",SENTINEL,", with: ",\(firstLabel),"), String(refLines[1]))
        XCTAssertEqual(Array(resLines.dropFirst(2)), Array(refLines.dropFirst(2)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: run))

        // Unmarked: interrupted + resumed gives the same bytes as one run.
        let again = s.tmp.file("again.h5ad")
        XCTAssertNotEqual(try c2s(args + ["-o", again, "--interrupt-after-chunks", "1"]).status, 0)
        XCTAssertEqual(try c2s(args + ["-o", again, "--resume"]).status, 0)
        XCTAssertEqual(try String(contentsOfFile: s.tmp.file("again.csv"), encoding: .utf8), reference)
    }

    /// A task command with `--quantize int8` runs (labels from the model's label set), refuses
    /// `--weights bf16` beside it, and records it among the run's settings: an interrupted fp32
    /// run does not resume quantized.
    func testAnnotateWithQuantizeInt8() throws {
        let s = try setting()
        let args = ["annotate", "--model", s.model, s.sentences, "--chunk-size", "8", "--quiet"]
        let out = s.tmp.file("int8.h5ad")
        var r = try c2s(args + ["-o", out, "--quantize", "int8"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let predicted = try XCTUnwrap(try H5ADSource(path: out).obs.column("c2s_label")).values
        XCTAssertTrue((0..<5).allSatisfy { predicted.text(at: $0).map(s.labels.contains) == true })

        r = try c2s(args + ["-o", s.tmp.file("bad.h5ad"), "--quantize", "int8", "--weights", "bf16"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--weights bf16"), r.stderr)

        let resumed = s.tmp.file("resumed.h5ad")
        XCTAssertNotEqual(try c2s(args + ["-o", resumed, "--interrupt-after-chunks", "1"]).status, 0)
        r = try c2s(args + ["-o", resumed, "--resume", "--quantize", "int8"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("weights") && r.stderr.contains("int8"), r.stderr)
    }

    /// `--noisy-copies`: the scores change (averaged over the copies), the same seed gives the
    /// same table in any chunking, resuming a run without the copies is refused, and bad
    /// values are usage errors that write nothing.
    func testAnnotateWithNoisyCopies() throws {
        let s = try setting()
        let args = ["annotate", "--model", s.model, s.sentences, "--quiet"]
        let plain = s.tmp.file("plain.h5ad"), noisy = s.tmp.file("noisy.h5ad"), rechunked = s.tmp.file("rechunked.h5ad")
        XCTAssertEqual(try c2s(args + ["-o", plain]).status, 0)
        var r = try c2s(args + ["-o", noisy, "--noisy-copies", "3", "--copy-noise", "0.5", "--chunk-size", "7"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(args + ["-o", rechunked, "--noisy-copies", "3", "--copy-noise", "0.5", "--chunk-size", "4", "--batch-size", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let column = "c2s_score_" + s.labels[0]
        func reals(_ path: String) throws -> [Double] {
            guard case .reals(let v)? = try H5ADSource(path: path).obs.column(column)?.values else { XCTFail("no \(column) in \(path)"); return [] }
            return v
        }
        let a = try reals(plain), b = try reals(noisy), c = try reals(rechunked)
        XCTAssertEqual(b.count, 30)
        XCTAssertTrue(zip(a, b).contains { abs($0 - $1) > 1e-4 }, "the copies change the scores")
        for (x, y) in zip(b, c) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(x))) }

        let resumed = s.tmp.file("resumed.h5ad")
        XCTAssertNotEqual(try c2s(args + ["-o", resumed, "--chunk-size", "8", "--interrupt-after-chunks", "1"]).status, 0)
        r = try c2s(args + ["-o", resumed, "--chunk-size", "8", "--resume", "--noisy-copies", "2"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("noisy_copies"), r.stderr)

        for bad in [["--noisy-copies", "2", "--mode", "free"], ["--noisy-copies", "2", "--copy-noise", "0"], ["--noisy-copies", "-1"]] {
            let out = s.tmp.file("bad.h5ad")
            r = try c2s(args + ["-o", out] + bad)
            XCTAssertEqual(r.status, 64, "\(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--noisy-copies") || r.stderr.contains("--copy-noise"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }

    func testGenerateCellsWritesValidUniqueGenesAndWarnsAboutUnknownConditions() throws {
        let s = try setting()
        let out = s.tmp.file("generated.h5ad")
        let r = try c2s(["generate-cells", "--model", s.model, "--condition", "cell_type=\(s.labels[0])", "--condition", "cell_type=Unicorn",
                         "-n", "4", "--chunk-size", "3", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("never saw 'Unicorn'") && r.stderr.contains(s.labels.joined(separator: ", ")), r.stderr)
        let h5ad = try H5ADSource(path: out)
        XCTAssertEqual(h5ad.cellCount, 8)
        let vocabulary = try String(contentsOfFile: s.sentences + "/vocab.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(h5ad.geneCount, vocabulary.count)
        let words = try XCTUnwrap(h5ad.obs.column("n_words")?.values), valid = try XCTUnwrap(h5ad.obs.column("n_valid_words")?.values)
        let unique = try XCTUnwrap(h5ad.obs.column("n_unique_genes")?.values)
        for i in 0..<8 {
            XCTAssertEqual(words.text(at: i), valid.text(at: i))
            XCTAssertEqual(words.text(at: i), unique.text(at: i))
            XCTAssertLessThanOrEqual(Int(words.text(at: i)!)!, 8)
        }
        XCTAssertEqual((0..<8).map { h5ad.obs.column("cell_type")!.values.text(at: $0)! }, Array(repeating: s.labels[0], count: 4) + Array(repeating: "Unicorn", count: 4))
        // Expression: a cell's reconstructed row has one value per gene of its sentence.
        let x = try h5ad.readRows(0..<8)
        for i in 0..<8 { XCTAssertEqual(x.range(ofRow: i).count, Int(unique.text(at: i)!)!) }

        let free = s.tmp.file("free.h5ad")
        let u = try c2s(["generate-cells", "--model", s.model, "-n", "3", "--unconstrained", "--max-new-tokens", "30", "-o", free])
        XCTAssertEqual(u.status, 0, u.stderr)
        XCTAssertTrue(u.stderr.contains("unconstrained") && u.stderr.contains("not on unconditional_generation"), u.stderr)
        XCTAssertEqual(try H5ADSource(path: free).cellCount, 3)
    }

    /// --guidance: a positive scale, only for a model that learned unconditional_generation;
    /// guided cells differ from unguided ones with the same seed.
    func testGenerateCellsWithGuidance() throws {
        let s = try setting()
        let zero = try c2s(["generate-cells", "--model", s.model, "--every-label", "-n", "2", "--guidance", "0", "-o", s.tmp.file("zero.h5ad")])
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.stderr.contains("--guidance must be a positive number"), zero.stderr)
        // The setting's model never trained unconditional_generation.
        let untrained = try c2s(["generate-cells", "--model", s.model, "--every-label", "-n", "2", "--guidance", "2", "-o", s.tmp.file("untrained.h5ad")])
        XCTAssertNotEqual(untrained.status, 0)
        XCTAssertTrue(untrained.stderr.contains(s.model) && untrained.stderr.contains("--task unconditional_generation:W"), untrained.stderr)

        let model = s.tmp.file("model-unconditional")
        try makeModel(model, metadata: ["tasks": ["cell_type_prediction", "cell_type_generation", "unconditional_generation"],
                                        "labels": ["cell_type_prediction": s.labels], "top_k": 8, "label_column": "cell_type"],
                      sentences: s.sentences)
        func sentences(_ guidance: String) throws -> [String] {
            let out = s.tmp.file("guided-\(guidance).h5ad")
            let r = try c2s(["generate-cells", "--model", model, "--every-label", "-n", "3", "--guidance", guidance, "-o", out, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let h5ad = try H5ADSource(path: out)
            XCTAssertEqual(h5ad.cellCount, 3 * s.labels.count)
            let column = try XCTUnwrap(h5ad.obs.column("cell_sentence")?.values)
            return (0..<h5ad.cellCount).map { column.text(at: $0)! }
        }
        let guided = try sentences("2")
        XCTAssertTrue(guided.allSatisfy { !$0.isEmpty })
        XCTAssertNotEqual(guided, try sentences("1"))
    }

    /// `--every-label` asks for every learned label and names the condition column as the
    /// model's metadata does (`c2s train --label-column`), so evaluation finds it.
    func testEveryLabelUsesTheModelsLabelColumn() throws {
        let s = try setting()
        let model = s.tmp.file("model-annotation")
        try makeModel(model, metadata: ["tasks": ["cell_type_prediction", "cell_type_generation"],
                                        "labels": ["cell_type_prediction": s.labels], "top_k": 8, "label_column": "annotation"],
                      sentences: s.sentences)
        let out = s.tmp.file("every.h5ad")
        let r = try c2s(["generate-cells", "--model", model, "--every-label", "-n", "2", "-o", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let h5ad = try H5ADSource(path: out)
        XCTAssertNil(h5ad.obs.column("cell_type"))
        let column = try XCTUnwrap(h5ad.obs.column("annotation"), "obs columns: \(h5ad.obs.columns.map(\.name))")
        XCTAssertEqual((0..<h5ad.cellCount).map { column.values.text(at: $0)! }, s.labels.flatMap { [$0, $0] })
    }

    func testEmbeddingsDoNotDependOnChunksOrBatches() throws {
        let s = try setting()
        func embed(_ name: String, _ extra: [String]) throws -> [Float] {
            let out = s.tmp.file(name)
            let r = try c2s(["embed", "--model", s.model, s.counts, "-o", out, "--quiet"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let data = try H5File(readingAt: out).root().group("obsm").dataset("X_c2s")
            XCTAssertEqual(data.shape, [30, 32])
            return try data.read(Float.self)
        }
        let a = try embed("a.h5ad", ["--chunk-size", "30", "--batch-size", "30"])
        let b = try embed("b.h5ad", ["--chunk-size", "4", "--batch-size", "3"])
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }

    func testPerturbationAndGroupOutputs() throws {
        let s = try setting()
        let out = s.tmp.file("perturbed.h5ad")
        var r = try c2s(["predict-perturbation", "--model", s.model, "--control", s.sentences, "--where", "batch=batch1",
                         "--perturbation", "drug X", "-o", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let controls = try lines(s.sentences + "/cells.jsonl").filter { $0["batch"] as? String == "batch1" }
        let h5ad = try H5ADSource(path: out)
        XCTAssertEqual(h5ad.obs.index, controls.map { $0["cell_name"] as! String })
        XCTAssertEqual(h5ad.geneCount, try String(contentsOfFile: s.sentences + "/vocab.tsv", encoding: .utf8).split(separator: "\n").count - 1)
        XCTAssertEqual(h5ad.obs.column("perturbation")?.values.text(at: 0), "drug X")
        XCTAssertEqual(h5ad.obs.column("cell_type")?.values.text(at: 0), controls[0]["cell_type"] as? String)

        let tissues = s.tmp.file("tissues.csv")
        r = try c2s(["predict-tissue", "--model", s.model, s.sentences, "--group-columns", "batch", "--group-size", "3-5",
                     "--labels", try labelsFile(s, ["blood", "lung"]), "-o", tissues, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let t = try csv(tissues)
        XCTAssertEqual(t.header.prefix(5), ["group", "batch", "n_cells", "cell_names", "c2s_label"])
        XCTAssertTrue(t.rows.allSatisfy { (3...5).contains(Int($0[2])!) && ["blood", "lung"].contains($0[4]) })
        XCTAssertEqual(t.rows.map { $0[3].split(separator: ";").count }.reduce(0, +), 30)

        let texts = s.tmp.file("texts.jsonl")
        r = try c2s(["interpret", "--model", s.model, s.sentences, "--group-columns", "cell_type", "--max-new-tokens", "5", "-o", texts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try lines(texts)
        XCTAssertFalse(rows.isEmpty)
        XCTAssertTrue(rows.allSatisfy { $0["c2s_text"] is String && s.labels.contains($0["cell_type"] as! String) })
    }

    /// --samples-per-cell N: N sampled answers per control cell, named CELL-1...CELL-N with
    /// control_cell and draw columns; each draw's sentence depends on the seed and its number
    /// only (the same with other chunk sizes); without --sample it is refused, writing nothing.
    func testPerturbationSamplesPerCell() throws {
        let s = try setting()
        let controls = try lines(s.sentences + "/cells.jsonl").filter { $0["batch"] as? String == "batch1" }.map { $0["cell_name"] as! String }
        let base = ["predict-perturbation", "--model", s.model, "--control", s.sentences, "--where", "batch=batch1",
                    "--perturbation", "drug X", "--sample", "--seed", "5", "--samples-per-cell", "3", "--quiet"]
        let a = s.tmp.file("a.h5ad"), b = s.tmp.file("b.h5ad")
        var r = try c2s(base + ["-o", a])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(base + ["--chunk-size", "2", "-o", b])
        XCTAssertEqual(r.status, 0, r.stderr)
        let ha = try H5ADSource(path: a), hb = try H5ADSource(path: b)
        XCTAssertEqual(ha.obs.index, controls.flatMap { c in (1...3).map { "\(c)-\($0)" } })
        let n = ha.obs.index.count
        XCTAssertEqual((0..<n).map { ha.obs.column("control_cell")?.values.text(at: $0) }, controls.flatMap { Array(repeating: $0, count: 3) })
        XCTAssertEqual((0..<n).map { ha.obs.column("draw")?.values.text(at: $0) }, (0..<n).map { String($0 % 3 + 1) })
        let sentences = { (h: H5ADSource) in (0..<n).map { h.obs.column("cell_sentence")?.values.text(at: $0) } }
        XCTAssertEqual(sentences(ha), sentences(hb), "a draw depends on its number, not on chunks")
        XCTAssertGreaterThan(Set(sentences(ha).prefix(3)).count, 1, "the draws of one cell differ")

        let c = s.tmp.file("c.h5ad")
        r = try c2s(["predict-perturbation", "--model", s.model, "--control", s.sentences, "--perturbation", "drug X",
                     "--samples-per-cell", "2", "-o", c, "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--sample"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: c))
    }

    /// Data without a cell type column: prompts pair controls within one group of all cells and
    /// say the cell type is "unknown"; predict-perturbation says the same and writes as many
    /// genes as asked even when the control sentence fills most of the model's context.
    func testPerturbationWithoutACellTypeColumn() throws {
        let s = try setting()
        let sentences = s.tmp.file("untyped")
        var r = try c2s(["convert", s.counts, "-o", sentences, "--obs-columns", "batch", "--min-genes", "0", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let prompts = s.tmp.file("pert.jsonl")
        r = try c2s(["prompts", sentences, "--task", "perturbation_prediction", "--perturbation-column", "batch",
                     "--control-value", "batch1", "--top-k", "20", "-o", prompts])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("note: perturbation pairs: all cells form one group"), r.stderr)
        XCTAssertTrue(r.stderr.contains("no cell type column"), r.stderr)
        let examples = try lines(prompts)
        let cells = try lines(sentences + "/cells.jsonl")
        XCTAssertEqual(examples.count, cells.filter { $0["batch"] as? String != "batch1" }.count, "every perturbed cell is paired")
        XCTAssertTrue(examples.allSatisfy { ($0["model_input"] as! String).contains("unknown") })
        // A cell type column named but absent is still an error, naming it; nothing is written.
        r = try c2s(["prompts", sentences, "--task", "perturbation_prediction", "--perturbation-column", "batch",
                     "--control-value", "batch1", "--label-column", "cell_type", "--splits", s.tmp.file("splits.json"), "-o", s.tmp.file("bad.jsonl")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("'cell_type'"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.tmp.file("bad.jsonl")))

        // A model trained on such prompts (no label_column) and a context of 200 tokens: the
        // prompt with 20 control genes and an answer of 20 genes do not both fit, so the control
        // sentence is cut and the answer still has all 20 genes (with the end token held back).
        let model = s.tmp.file("untyped-model")
        try makeModel(model, metadata: ["tasks": ["perturbation_prediction"], "top_k": 20], sentences: sentences, context: 200)
        let out = s.tmp.file("untyped.h5ad")
        r = try c2s(["predict-perturbation", "--model", model, "--control", sentences, "--where", "batch=batch1",
                     "--perturbation", "drug X", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("cell type is 'unknown'"), r.stderr)
        let h5ad = try H5ADSource(path: out)
        let sentencesOut = try XCTUnwrap(h5ad.obs.column("cell_sentence")).values
        XCTAssertGreaterThan(h5ad.cellCount, 0)
        for i in 0..<h5ad.cellCount {
            let sentence = sentencesOut.text(at: i) ?? ""
            XCTAssertEqual(sentence.split(separator: " ").count, 20, "cell \(i): \(sentence)")
            // Not cut short by the context ("length"); the end token may follow the 20th gene.
            XCTAssertNotEqual(h5ad.obs.column("finish_reason")?.values.text(at: i), "length")
        }
    }

    func labelsFile(_ s: Setting, _ labels: [String]) throws -> String {
        let path = s.tmp.file("labels-\(labels.count).txt")
        try labels.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testModelWithoutMetadataSaysWhatIsMissing() throws {
        let s = try setting()
        let bare = s.tmp.file("bare")
        try makeModel(bare, metadata: nil, sentences: nil)
        let out = s.tmp.file("x.h5ad")
        var r = try c2s(["annotate", "--model", bare, s.sentences, "-o", out])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("c2s.json") && r.stderr.contains("--labels FILE") && r.stderr.contains("--mode free"), r.stderr)
        r = try c2s(["annotate", "--model", bare, s.counts, "-o", out, "--mode", "free"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("converting a count matrix") && r.stderr.contains("--sentences DIR"), r.stderr)
        r = try c2s(["generate-cells", "--model", bare, "-n", "2", "-o", out])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("generating cells") && r.stderr.contains("--sentences DIR"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try runFolders(s.tmp.path), [])
        // Supplied by options, the same model works.
        r = try c2s(["annotate", "--model", bare, s.counts, "--sentences", s.sentences, "--labels", try labelsFile(s, s.labels), "-o", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testLowGeneOverlapIsAWarningWithTheFigure() throws {
        let s = try setting()
        // Cells whose genes the model's vocabulary lacks (but for one).
        let cells = (0..<4).map { "{\"cell_name\":\"c\($0)\",\"cell_sentence\":\"ENSG0001 ENSG0002 ENSG0003 ACTB\"}" }.joined(separator: "\n")
        let input = s.tmp.file("foreign.jsonl")
        try cells.write(toFile: input, atomically: true, encoding: .utf8)
        let r = try c2s(["annotate", "--model", s.model, input, "-o", s.tmp.file("foreign.h5ad")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: the input has only 1 of the model's") && r.stderr.contains("25.0% of the gene words"), r.stderr)
        // A count matrix sharing no gene at all is an error.
        let text = "cell,ENSG1,ENSG2\na,1,2\nb,3,0\n"
        try text.write(toFile: s.tmp.file("ensembl-counts.csv"), atomically: true, encoding: .utf8)
        let e = try c2s(["annotate", "--model", s.model, s.tmp.file("ensembl-counts.csv"), "-o", s.tmp.file("ensembl.h5ad")])
        XCTAssertNotEqual(e.status, 0)
        XCTAssertTrue(e.stderr.contains("none of its 2 genes is in the model's vocabulary"), e.stderr)
        XCTAssertEqual(try runFolders(s.tmp.path), [])
    }
}
