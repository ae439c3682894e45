import Foundation
import TestSupport
import Transformer
import XCTest

/// `c2s train --lora-rank`: the adapters-only run, its PEFT-layout folder, exact resume, and
/// the adapter used by the other commands (`--adapter`, an adapter folder as `--model`) and
/// merged by `c2s lm merge`.
final class LoRATrainCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }
    let base = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path

    /// Cell type prediction from three marker genes, 40 examples (3 of 4 train).
    func writePrompts(_ path: String) throws {
        let labels = ["B cell", "T cell", "NK cell", "Monocyte"]
        let markers = [["CD79A", "MS4A1", "CD19"], ["CD3E", "CD3D", "IL7R"], ["NKG7", "GNLY", "KLRD1"], ["LYZ", "CD14", "S100A8"]]
        let lines = try (0..<40).map { i -> String in
            let type = i % 4, m = markers[type]
            let sentence = [m[i % 3], m[(i + 1) % 3], m[(i + 2) % 3]].joined(separator: " ")
            let object: [String: Any] = ["task": "cell_type_prediction", "split": i % 4 == 3 ? "validation" : "train", "cell_name": "cell\(i)",
                                         "model_input": "Top genes of one cell: \(sentence). Cell type:", "response": labels[type]]
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testLoRATrainsResumesExactlyAndRunsAndMerges() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        let args = ["--model", base, "--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "query_key_value,dense_4h_to_h", "--lora-dropout", "0.1",
                    "--max-steps", "4", "--save-every", "2", "--batch-size", "4", "--learning-rate", "5e-3", "--max-length", "48", "--quiet"]
        var r = try c2s(["train", prompts, "-o", tmp.file("a")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: tmp.file("a")))
        XCTAssertTrue(files.isSuperset(of: ["adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "c2s.json"]), "\(files)")
        XCTAssertFalse(files.contains("model.safetensors") || files.contains("config.json"), "an adapter folder is not a model folder: \(files)")
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("a/adapter_config.json")))) as? [String: Any])
        XCTAssertEqual(config["peft_type"] as? String, "LORA")
        XCTAssertEqual(config["r"] as? Int, 4)
        XCTAssertEqual(config["target_modules"] as? [String], ["query_key_value", "dense_4h_to_h"])
        XCTAssertEqual(config["lora_dropout"] as? Double, 0.1)
        // The saved tensors are exactly PEFT's names and shapes: rank 4, 2 layers, 2 modules.
        let saved = try SafetensorsFile(path: tmp.file("a/adapter_model.safetensors"))
        XCTAssertEqual(saved.tensorNames.count, 8)
        XCTAssertTrue(saved.tensorNames.contains("base_model.model.gpt_neox.layers.1.attention.query_key_value.lora_B.weight"), "\(saved.tensorNames)")
        // Training moved the adapters (B starts at zero).
        let bName = "base_model.model.gpt_neox.layers.0.mlp.dense_4h_to_h.lora_B.weight"
        let b = try saved.info(bName)
        XCTAssertEqual(b.shape.last, 4)
        var values = [Float](repeating: 0, count: b.elementCount)
        try values.withUnsafeMutableBufferPointer { try saved.copyFloats(bName, into: $0.baseAddress!, count: b.elementCount) }
        XCTAssertGreaterThan(values.map(abs).max() ?? 0, 0, "B left zero: the adapters did not train")

        r = try c2s(["train", prompts, "-o", tmp.file("b"), "--resume", tmp.file("a/checkpoint-2")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file("a/adapter_model.safetensors"))),
                       try Data(contentsOf: URL(fileURLWithPath: tmp.file("b/adapter_model.safetensors"))), "resume is exact, dropout included")

        // The adapter runs on the base (--adapter), from its own folder (the base named in
        // adapter_config.json), and merged: the same greedy text all three ways, and not the
        // base's own.
        let prompt = ["--prompt", "Top genes of one cell: NKG7 GNLY. Cell type:", "--max-new-tokens", "6"]
        let withAdapter = try c2s(["lm", "generate", "--model", base, "--adapter", tmp.file("a")] + prompt)
        XCTAssertEqual(withAdapter.status, 0, withAdapter.stderr)
        let alone = try c2s(["lm", "generate", "--model", tmp.file("a")] + prompt)
        XCTAssertEqual(alone.status, 0, alone.stderr)
        XCTAssertEqual(alone.stdout, withAdapter.stdout)
        r = try c2s(["lm", "merge", "--model", tmp.file("a"), "-o", tmp.file("merged")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let merged = try c2s(["lm", "generate", "--model", tmp.file("merged")] + prompt)
        XCTAssertEqual(merged.status, 0, merged.stderr)
        XCTAssertEqual(merged.stdout, withAdapter.stdout)
        // The merge writes a new folder only.
        r = try c2s(["lm", "merge", "--model", tmp.file("a"), "-o", tmp.file("merged")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("exists"), r.stderr)
    }

    /// `--base-weights bf16`: the frozen base is kept in bf16 (the plan says so), the adapters
    /// train, resume stays exact, and the adapters land within bf16 rounding of the same run over
    /// the fp32 base. Without --lora-rank the option is refused.
    func testLoRAOverABF16BaseTrainsAndResumesExactly() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        let args = ["--model", base, "--lora-rank", "4", "--max-steps", "4", "--save-every", "2", "--batch-size", "4",
                    "--learning-rate", "5e-3", "--max-length", "48"]
        var r = try c2s(["train", prompts, "-o", tmp.file("bf16"), "--base-weights", "bf16"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let printed = String(decoding: r.stdout, as: UTF8.self) + r.stderr
        XCTAssertTrue(printed.contains("bf16 weights"), "the plan names the base's precision: \(printed)")
        r = try c2s(["train", prompts, "-o", tmp.file("resumed"), "--base-weights", "bf16", "--resume", tmp.file("bf16/checkpoint-2"), "--quiet"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file("bf16/adapter_model.safetensors"))),
                       try Data(contentsOf: URL(fileURLWithPath: tmp.file("resumed/adapter_model.safetensors"))), "resume over a bf16 base is exact")
        r = try c2s(["train", prompts, "-o", tmp.file("fp32"), "--base-weights", "fp32", "--quiet"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        // The same run over the fp32 base: the per-step losses and gradient norms agree to the
        // rounding of the base's weights (observed ≤ 9e-4 and 2e-3 relative). Adapter values
        // are not compared elementwise: AdamW's first steps move every element by about lr
        // whatever the gradient's size, so an element with a near-zero gradient may go either way.
        func steps(_ folder: String) throws -> [(loss: Double, norm: Double)] {
            try String(contentsOfFile: tmp.file("\(folder)/metrics.jsonl"), encoding: .utf8).split(separator: "\n").compactMap { line in
                let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                guard let loss = o?["loss"] as? Double, let norm = o?["grad_norm"] as? Double else { return nil }
                return (loss, norm)
            }
        }
        let (s16, s32) = (try steps("bf16"), try steps("fp32"))
        XCTAssertEqual(s16.count, 4)
        XCTAssertEqual(s16.count, s32.count)
        for (a, b) in zip(s16, s32) {
            XCTAssertNotEqual(a.loss, b.loss, "the bf16 base must change the products (else it was not used)")
            XCTAssertEqual(a.loss, b.loss, accuracy: 5e-3 * b.loss)
            XCTAssertEqual(a.norm, b.norm, accuracy: 1e-2 * b.norm)
        }
        r = try c2s(["train", prompts, "-o", tmp.file("x"), "--model", base, "--base-weights", "bf16"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--lora-rank"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("x")))
    }

    func testLoRAIsRefusedWhereItCannotApply() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        var r = try c2s(["train", prompts, "-o", tmp.file("x"), "--model", base, "--lora-rank", "4", "--lora-targets", "q_proj"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("q_proj") && r.stderr.contains("query_key_value"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("x")))
        r = try c2s(["train", prompts, "-o", tmp.file("x"), "--model", base, "--lora-rank", "0"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--lora-rank"), r.stderr)
        r = try c2s(["train", prompts, "-o", tmp.file("x"), "--model", base, "--lora-alpha", "8"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--lora-rank"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("x")))
    }
}
