import Foundation
import TestSupport
import XCTest

/// `c2s lm generate`, `embed` and `tokenize` on the tiny text models of Tests/Fixtures/lm.
final class LMCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }
    let model = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path

    func expectedCases() throws -> [[String: Any]] {
        let json = try XCTUnwrap(try loadGzipJSON("lm/pythia_text/expected.json.gz") as? [String: Any])
        return try XCTUnwrap(json["cases"] as? [[String: Any]])
    }

    func lines(_ data: Data) throws -> [[String: Any]] {
        try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testGenerateFromTextPromptsMatchesTransformers() throws {
        let cases = try expectedCases()
        let tmp = try TemporaryFolder()
        let promptFile = tmp.file("prompts.jsonl")
        let body = cases.map { "{\"model_input\": \(String(decoding: try! JSONSerialization.data(withJSONObject: $0["text"]!, options: .fragmentsAllowed), as: UTF8.self))}" }
        try body.joined(separator: "\n").write(toFile: promptFile, atomically: true, encoding: .utf8)
        let out = tmp.file("out.jsonl")
        let r = try c2s(["lm", "generate", "--model", model, "--prompts", promptFile, "--max-new-tokens", "10",
                         "--min-new-tokens", "10", "--batch-size", "2", "-o", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try lines(try Data(contentsOf: URL(fileURLWithPath: out)))
        XCTAssertEqual(rows.count, cases.count)
        for (row, c) in zip(rows, cases) {
            XCTAssertEqual(row["tokens"] as? [Int], c["greedy"] as? [Int])
            XCTAssertEqual(row["completion"] as? String, c["completion"] as? String)
            XCTAssertEqual(row["finish_reason"] as? String, "length")
        }
        // The same from --prompt to stdout.
        let single = try c2s(["lm", "generate", "--model", model, "--prompt", cases[0]["text"] as! String,
                              "--max-new-tokens", "10", "--min-new-tokens", "10"])
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertEqual(try lines(single.stdout).first?["tokens"] as? [Int], cases[0]["greedy"] as? [Int])
    }

    func testSampledGenerationIsReproducibleAcrossBatchSizesAndThreads() throws {
        let args = ["lm", "generate", "--model", model, "--prompt", "CD74 HLA-DRA", "--prompt", "The cell", "--prompt", "IL7R",
                    "--sample", "--top-k", "50", "--top-p", "0.95", "--seed", "3", "--max-new-tokens", "12"]
        let a = try c2s(args + ["--batch-size", "3"])
        let b = try c2s(args + ["--batch-size", "1", "--threads", "1"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout)
        let c = try c2s(args.map { $0 == "3" ? "4" : $0 })
        XCTAssertNotEqual(a.stdout, c.stdout)
    }

    func testStopStringEndsASequence() throws {
        let free = try lines(try c2s(["lm", "generate", "--model", model, "--prompt", "The cell type of this cell is",
                                      "--max-new-tokens", "10", "--min-new-tokens", "10"]).stdout)[0]
        let completion = try XCTUnwrap(free["completion"] as? String)
        let words = completion.split(separator: " ")
        try XCTSkipIf(words.count < 3, "completion too short to pick a stop string: \(completion)")
        let stop = String(words[1])
        let r = try c2s(["lm", "generate", "--model", model, "--prompt", "The cell type of this cell is",
                         "--max-new-tokens", "10", "--stop", stop])
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = try lines(r.stdout)[0]
        XCTAssertEqual(row["finish_reason"] as? String, "stop_string")
        let text = try XCTUnwrap(row["completion"] as? String)
        XCTAssertTrue(text.contains(stop) && completion.hasPrefix(text), "\(text) vs \(completion)")
    }

    func testEmbedAndTokenize() throws {
        let cases = try expectedCases()
        let tmp = try TemporaryFolder()
        let texts = tmp.file("texts.txt")
        try cases.map { $0["text"] as! String }.joined(separator: "\n").write(toFile: texts, atomically: true, encoding: .utf8)
        let ids = tmp.file("ids.jsonl")
        var r = try c2s(["lm", "tokenize", "--tokenizer", model, texts, "-o", ids])
        XCTAssertEqual(r.status, 0, r.stderr)
        let idRows = String(decoding: try Data(contentsOf: URL(fileURLWithPath: ids)), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(idRows.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [Int] }, cases.map { $0["ids"] as? [Int] })
        r = try c2s(["lm", "embed", "--model", model, "--prompt-ids", ids])
        XCTAssertEqual(r.status, 0, r.stderr)
        let fromIDs = try lines(r.stdout)
        r = try c2s(["lm", "embed", "--model", model, "--prompts", texts])
        XCTAssertEqual(try lines(r.stdout).map { $0["embedding"] as? [Double] }, fromIDs.map { $0["embedding"] as? [Double] })
        for (row, c) in zip(fromIDs, cases) {
            let got = try XCTUnwrap(row["embedding"] as? [Double]), want = try XCTUnwrap(c["mean_embedding"] as? [Double])
            XCTAssertEqual(got.count, want.count)
            XCTAssertLessThanOrEqual(zip(got, want).map { abs($0 - $1) }.max() ?? 1, 1e-4)
        }
    }

    func testBadModelsAndInputsGiveOneClearErrorAndNoOutput() throws {
        let tmp = try TemporaryFolder()
        let out = tmp.file("out.jsonl")
        func fails(_ args: [String], _ needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try c2s(args + ["-o", out])
            XCTAssertNotEqual(r.status, 0, file: file, line: line)
            XCTAssertTrue(r.stderr.contains(needle), r.stderr, file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), file: file, line: line)
            let left = try FileManager.default.contentsOfDirectory(atPath: (out as NSString).deletingLastPathComponent)
            XCTAssertFalse(left.contains { $0.hasPrefix(".out.jsonl") }, "temporary output left: \(left)", file: file, line: line)
        }
        try fails(["lm", "generate", "--model", tmp.file("missing"), "--prompt", "x"], "no such model folder")
        let noWeights = tmp.file("no-weights")
        try FileManager.default.createDirectory(atPath: noWeights, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: model + "/config.json", toPath: noWeights + "/config.json")
        try fails(["lm", "generate", "--model", noWeights, "--prompt", "x"], "model.safetensors")
        let bert = tmp.file("bert")
        try FileManager.default.copyItem(atPath: model, toPath: bert)
        try #"{"model_type": "bert"}"#.write(toFile: bert + "/config.json", atomically: true, encoding: .utf8)
        try fails(["lm", "generate", "--model", bert, "--prompt", "x"], "supported: gemma2, gpt2, gpt_neox, llama")
        let noTokenizer = tmp.file("no-tokenizer")
        try FileManager.default.copyItem(atPath: model, toPath: noTokenizer)
        try FileManager.default.removeItem(atPath: noTokenizer + "/tokenizer.json")
        try fails(["lm", "generate", "--model", noTokenizer, "--prompt", "x"], "no tokenizer.json")
        let long = String(repeating: "CD74 ", count: 400)
        try fails(["lm", "generate", "--model", model, "--prompt", long], "context holds 128")
        // Fails after a first batch was already written to the temporary file.
        try fails(["lm", "generate", "--model", model, "--prompt", "CD74", "--prompt", long, "--batch-size", "1"], "context holds 128")
        let badIDs = tmp.file("bad.jsonl")
        try "[1, 2, \"x\"]\n".write(toFile: badIDs, atomically: true, encoding: .utf8)
        try fails(["lm", "generate", "--model", model, "--prompt-ids", badIDs], "bad.jsonl:1: expected a JSON array of token ids")
        let r = try c2s(["lm", "generate", "--model", model, "--prompt", "x", "--top-p", "1.5", "--sample"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("top-p"), r.stderr)
    }

    /// `--weights`: auto on an fp32 checkpoint is the fp32 run byte for byte; a bf16
    /// checkpoint runs with its weights kept bf16 (alone, with the implied `--bf16`, forced
    /// fp32, and an fp32 checkpoint forced to bf16); a bad value names the choices.
    func testWeightsOption() throws {
        let args = ["lm", "generate", "--model", model, "--prompt", "CD74 HLA-DRA IL7R", "--max-new-tokens", "8", "--min-new-tokens", "8"]
        let plain = try c2s(args), auto = try c2s(args + ["--weights", "auto"]), fp32 = try c2s(args + ["--weights", "fp32"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, auto.stdout)
        XCTAssertEqual(plain.stdout, fp32.stdout)
        let rounded = try c2s(args + ["--weights", "bf16"])
        XCTAssertEqual(rounded.status, 0, rounded.stderr)
        XCTAssertEqual((try lines(rounded.stdout).first?["tokens"] as? [Int])?.count, 8)

        let tmp = try TemporaryFolder()
        try "[5, 17, 99, 3, 42]\n[7, 200]\n".write(toFile: tmp.file("ids.jsonl"), atomically: true, encoding: .utf8)
        let bf16Model = TestPaths.fixtures.appendingPathComponent("bf16/gemma2").path
        let ids = ["lm", "generate", "--model", bf16Model, "--prompt-ids", tmp.file("ids.jsonl"), "--max-new-tokens", "6", "--min-new-tokens", "6"]
        for extra in [[], ["--bf16"], ["--weights", "fp32"], ["--weights", "fp32", "--bf16"]] {
            let r = try c2s(ids + extra)
            XCTAssertEqual(r.status, 0, "\(extra): \(r.stderr)")
            XCTAssertEqual(try lines(r.stdout).count, 2, "\(extra)")
            // Kept bf16, the model decodes in bf16 on any CPU: --bf16 is never "ignored".
            if !extra.contains("fp32") { XCTAssertFalse(r.stderr.contains("--bf16 ignored"), "\(extra): \(r.stderr)") }
        }
        let bad = try c2s(ids + ["--weights", "int4"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("auto") && bad.stderr.contains("bf16"), bad.stderr)
    }

    /// `--quantize int8`: generation and embedding run on int8 weights (greedy tokens as fp32's
    /// on this prompt, embeddings close to fp32's but not equal), `--weights auto` is accepted
    /// beside it, and `--weights fp32/bf16`, `--bf16` and unknown kinds are refused by name.
    func testQuantizeOption() throws {
        let args = ["lm", "generate", "--model", model, "--prompt", "CD74 HLA-DRA IL7R", "--max-new-tokens", "8", "--min-new-tokens", "8"]
        let plain = try c2s(args), int8 = try c2s(args + ["--quantize", "int8"]), auto = try c2s(args + ["--quantize", "int8", "--weights", "auto"])
        XCTAssertEqual(int8.status, 0, int8.stderr)
        XCTAssertEqual(auto.stdout, int8.stdout)
        let tokens = try lines(int8.stdout).first?["tokens"] as? [Int]
        XCTAssertEqual(tokens?.count, 8)
        XCTAssertEqual(tokens, try lines(plain.stdout).first?["tokens"] as? [Int], "greedy tokens changed (measured equal on this prompt)")

        let tmp = try TemporaryFolder()
        try "[5, 17, 99, 3, 42]\n[7, 200]\n".write(toFile: tmp.file("ids.jsonl"), atomically: true, encoding: .utf8)
        let embed = ["lm", "embed", "--model", model, "--prompt-ids", tmp.file("ids.jsonl")]
        let full = try lines(try c2s(embed).stdout), quantized = try lines(try c2s(embed + ["--quantize", "int8"]).stdout)
        XCTAssertEqual(quantized.count, 2)
        for (a, b) in zip(full, quantized) {
            let x = try XCTUnwrap(a["embedding"] as? [Double]), y = try XCTUnwrap(b["embedding"] as? [Double])
            let dot = zip(x, y).map(*).reduce(0, +), norms = (x.map { $0 * $0 }.reduce(0, +) * y.map { $0 * $0 }.reduce(0, +)).squareRoot()
            XCTAssertGreaterThan(dot / norms, 0.99)
            XCTAssertNotEqual(x, y, "the embedding did not come from int8 weights")
        }

        for (extra, words) in [(["--weights", "bf16"], ["--quantize int8", "--weights bf16"]), (["--weights", "fp32"], ["--weights fp32"]),
                               (["--bf16"], ["--bf16", "--quantize int8"])] {
            let r = try c2s(args + ["--quantize", "int8"] + extra)
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            for w in words { XCTAssertTrue(r.stderr.contains(w), "\(extra): \(r.stderr)") }
        }
        let bad = try c2s(args + ["--quantize", "int4"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("int8"), bad.stderr)
    }

    /// `c2s lm check-quantization` compares int8 with fp32 on the user's prompts: every position
    /// counted, top-1 agreement in [0, 1], a logit difference above 0 and within 12% of the
    /// largest logit (`Int8ResidentWeightsTests.relativeTolerance`).
    func testCheckQuantization() throws {
        let tmp = try TemporaryFolder()
        try "[5, 17, 99, 3, 42]\n[7, 200, 11]\n".write(toFile: tmp.file("ids.jsonl"), atomically: true, encoding: .utf8)
        let r = try c2s(["lm", "check-quantization", "--model", model, "--prompt-ids", tmp.file("ids.jsonl")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(try lines(r.stdout).first)
        XCTAssertEqual(summary["positions"] as? Int, 8)
        XCTAssertEqual(summary["sequences"] as? Int, 2)
        let top1 = try XCTUnwrap(summary["top1_agreement"] as? Double), worst = try XCTUnwrap(summary["max_abs_logit_difference"] as? Double)
        let scale = try XCTUnwrap(summary["largest_abs_fp32_logit"] as? Double)
        XCTAssertTrue((0...1).contains(top1))
        XCTAssertGreaterThan(worst, 0)
        XCTAssertLessThan(worst / scale, 0.12)
        let bad = try c2s(["lm", "check-quantization", "--model", model])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--prompts"), bad.stderr)
    }
}
