import Foundation
import Mechanics
import TestSupport
import XCTest

/// `c2s train` end to end on a small synthetic prompt dataset: outputs, determinism, exact
/// resume, truncation, NaN handling and bad input.
final class TrainCLITests: XCTestCase {
    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    static let labels = ["B cell", "T cell", "NK cell", "Monocyte"]
    static let markers = [["CD79A", "MS4A1", "CD19"], ["CD3E", "CD3D", "IL7R"], ["NKG7", "GNLY", "KLRD1"], ["LYZ", "CD14", "S100A8"]]
    static let background = ["MALAT1", "B2M", "TMSB4X", "RPL13", "RPS12", "FTL", "ACTB", "EEF1A1", "RPLP1", "HLA-B"]

    /// A prompt dataset in the format of `c2s prompts`: cell type prediction with sentence
    /// spans; `genes` genes per sentence; 3 of 4 lines train, the rest validation.
    func writePrompts(_ path: String, examples: Int = 48, genes: Int = 12, spans: Bool = true) throws {
        var lines: [String] = []
        var state: UInt64 = 12345
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        for i in 0..<examples {
            let type = i % 4
            var generator = SeededShuffle(seed: UInt64(i))
            var words = Self.markers[type].shuffled(using: &generator)
            while words.count < genes { words.append(Self.background[next(Self.background.count)]) }
            let sentence = words.prefix(genes).joined(separator: " ")
            let prefix = "Top genes of one cell: "
            let input = prefix + sentence + ". Cell type:"
            var object: [String: Any] = ["task": "cell_type_prediction", "split": i % 5 == 4 ? "validation" : "train",
                                         "cell_name": "cell\(i)", "model_input": input, "response": Self.labels[type]]
            if spans { object["input_sentence_spans"] = [[prefix.unicodeScalars.count, prefix.unicodeScalars.count + sentence.unicodeScalars.count]] }
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A small byte-level BPE trained on the prompts.
    func tokenizer(_ tmp: TemporaryFolder, prompts: String) throws -> String {
        let r = try c2s(["tokenizer", "train", prompts, "-o", tmp.file("tok"), "--vocab-size", "320"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return tmp.file("tok")
    }

    func newModelArgs(_ tokenizer: String) -> [String] {
        ["--new-model", "gpt_neox", "--hidden-size", "32", "--layers", "2", "--heads", "2", "--context", "64",
         "--tokenizer", tokenizer, "--batch-size", "4", "--gradient-accumulation", "2", "--learning-rate", "3e-3",
         "--warmup-steps", "2", "--weight-decay", "0.01", "--seed", "5", "--quiet"]
    }

    func metrics(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// The fields of a metrics line that must not depend on timing.
    func deterministic(_ line: [String: Any]) -> String {
        line.filter { !["seconds", "elapsed", "tokens_per_second"].contains($0.key) }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    func testTrainsANewModelSavesResumesAndReproduces() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        let tok = try tokenizer(tmp, prompts: prompts)
        let args = newModelArgs(tok) + ["--max-steps", "6", "--save-every", "3", "--eval-every", "2"]
        var r = try c2s(["train", prompts, "-o", tmp.file("a"), "--label-column", "cell_kind"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: tmp.file("a")))
        for name in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json",
                     "c2s.json", "metrics.jsonl", "loss.svg", "trainer_state.json", "checkpoint-3", "checkpoint-6"] {
            XCTAssertTrue(files.contains(name), "missing \(name) in \(files.sorted())")
        }
        XCTAssertFalse(files.contains { $0.hasPrefix(".") }, "temporary files left: \(files)")
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("a/config.json")))) as? [String: Any])
        XCTAssertEqual(config["model_type"] as? String, "gpt_neox")
        XCTAssertEqual(config["vocab_size"] as? Int, 320)
        let info = try modelInfo(tmp.file("a"))
        XCTAssertEqual((info["labels"] as? [String: [String]])?["cell_type_prediction"], Self.labels.sorted())
        XCTAssertEqual(info["tasks"] as? [String], ["cell_type_prediction"])
        XCTAssertEqual(info["label_column"] as? String, "cell_kind")
        let log = try metrics(tmp.file("a/metrics.jsonl"))
        XCTAssertEqual(log.compactMap { $0["loss"] == nil ? nil : $0["step"] as? Int }, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(log.compactMap { $0["validation_loss"] == nil ? nil : $0["step"] as? Int }, [2, 4, 6])
        for key in ["epoch", "lr", "grad_norm", "tokens", "tokens_per_second", "elapsed"] { XCTAssertNotNil(log[0][key], key) }
        XCTAssertTrue(try String(contentsOfFile: tmp.file("a/loss.svg"), encoding: .utf8).contains("validation loss"))
        // The trained model runs in `c2s lm`.
        r = try c2s(["lm", "generate", "--model", tmp.file("a"), "--prompt", "Top genes of one cell: CD3E CD3D. Cell type:", "--max-new-tokens", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)

        // Same seed, same model.
        r = try c2s(["train", prompts, "-o", tmp.file("b")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file("a/model.safetensors"))),
                       try Data(contentsOf: URL(fileURLWithPath: tmp.file("b/model.safetensors"))))
        XCTAssertEqual(try metrics(tmp.file("a/metrics.jsonl")).map(deterministic), try metrics(tmp.file("b/metrics.jsonl")).map(deterministic))

        // Resuming from checkpoint-3 into a new folder gives exactly the uninterrupted run.
        r = try c2s(["train", prompts, "-o", tmp.file("c"), "--resume", tmp.file("a/checkpoint-3")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try metrics(tmp.file("c/metrics.jsonl")).map(deterministic), log.map(deterministic))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file("a/model.safetensors"))),
                       try Data(contentsOf: URL(fileURLWithPath: tmp.file("c/model.safetensors"))))
        // And inside the run's own folder.
        r = try c2s(["train", prompts, "-o", tmp.file("a"), "--resume", tmp.file("a/checkpoint-3")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try metrics(tmp.file("a/metrics.jsonl")).map(deterministic), log.map(deterministic))

        // A checkpoint of another shape or architecture is refused before anything is written.
        var other = newModelArgs(tok) + ["--max-steps", "6"]
        other[other.firstIndex(of: "--hidden-size")! + 1] = "16"
        r = try c2s(["train", prompts, "-o", tmp.file("d"), "--resume", tmp.file("a/checkpoint-3")] + other)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("checkpoint-3") && r.stderr.contains("cannot resume"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("d")))
        other = newModelArgs(tok) + ["--max-steps", "6"]
        other[other.firstIndex(of: "gpt_neox")!] = "gpt2"
        r = try c2s(["train", prompts, "-o", tmp.file("d"), "--resume", tmp.file("a/checkpoint-3")] + other)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("gpt_neox") && r.stderr.contains("gpt2"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("d")))

        // Fine-tuning the trained folder (tokenizer taken from it), with the loss on everything.
        r = try c2s(["train", prompts, "-o", tmp.file("e"), "--model", tmp.file("a"), "--max-steps", "2", "--loss-on", "all", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let tuned = try metrics(tmp.file("e/metrics.jsonl"))
        let responseTargets = try XCTUnwrap(log[0]["target_tokens"] as? Int)
        XCTAssertGreaterThan(try XCTUnwrap(tuned[0]["target_tokens"] as? Int), 4 * responseTargets)
    }

    func testGPT2TrainsAndResumesExactly() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        let tok = try tokenizer(tmp, prompts: prompts)
        var args = newModelArgs(tok) + ["--max-steps", "4", "--save-every", "2", "--eval-every", "2"]
        args[args.firstIndex(of: "gpt_neox")!] = "gpt2"
        var r = try c2s(["train", prompts, "-o", tmp.file("a")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("a/config.json")))) as? [String: Any])
        XCTAssertEqual(config["model_type"] as? String, "gpt2")
        XCTAssertEqual(config["n_embd"] as? Int, 32)
        r = try c2s(["train", prompts, "-o", tmp.file("b"), "--resume", tmp.file("a/checkpoint-2")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try metrics(tmp.file("b/metrics.jsonl")).map(deterministic), try metrics(tmp.file("a/metrics.jsonl")).map(deterministic))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file("a/model.safetensors"))),
                       try Data(contentsOf: URL(fileURLWithPath: tmp.file("b/model.safetensors"))))
        r = try c2s(["lm", "generate", "--model", tmp.file("a"), "--prompt", "Top genes of one cell: LYZ CD14. Cell type:", "--max-new-tokens", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// `--config`: sizes from the file, vocabulary size and special ids from the tokenizer.
    func testNewModelFromAConfigFile() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts, examples: 12)
        let tok = try tokenizer(tmp, prompts: prompts)
        try #"{"model_type": "gpt_neox", "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32, "max_position_embeddings": 64}"#
            .write(toFile: tmp.file("config.json"), atomically: true, encoding: .utf8)
        let r = try c2s(["train", prompts, "-o", tmp.file("out"), "--config", tmp.file("config.json"), "--tokenizer", tok, "--max-steps", "1", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("out/config.json")))) as? [String: Any])
        XCTAssertEqual(config["vocab_size"] as? Int, 320)
        XCTAssertEqual(config["hidden_size"] as? Int, 16)
        XCTAssertEqual(config["eos_token_id"] as? Int, 0)
        // Llama trains (its gradients are checked against torch in TrainingParityTests) and the
        // saved folder loads again.
        try #"{"model_type": "llama", "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 32, "max_position_embeddings": 64}"#
            .write(toFile: tmp.file("llama.json"), atomically: true, encoding: .utf8)
        let llama = try c2s(["train", prompts, "-o", tmp.file("llama"), "--config", tmp.file("llama.json"), "--tokenizer", tok, "--max-steps", "2", "--quiet"])
        XCTAssertEqual(llama.status, 0, llama.stderr)
        let saved = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("llama/config.json")))) as? [String: Any])
        XCTAssertEqual(saved["model_type"] as? String, "llama")
        let generated = try c2s(["lm", "generate", "--model", tmp.file("llama"), "--prompt", "a", "--max-new-tokens", "2"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        // An architecture the engine does not know is refused by name, leaving nothing.
        try #"{"model_type": "mistral", "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2}"#
            .write(toFile: tmp.file("mistral.json"), atomically: true, encoding: .utf8)
        let refused = try c2s(["train", prompts, "-o", tmp.file("mistral"), "--config", tmp.file("mistral.json"), "--tokenizer", tok, "--max-steps", "1"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("mistral"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("mistral")))
    }

    /// Gemma-2 (the C2S-Scale architecture) trains from a config with a sliding window shorter
    /// than the examples, resumes exactly, and the saved folder generates.
    func testGemma2TrainsAndResumesExactly() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        let tok = try tokenizer(tmp, prompts: prompts)
        try #"{"model_type": "gemma2", "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8, "intermediate_size": 32, "max_position_embeddings": 128, "sliding_window": 8, "query_pre_attn_scalar": 8}"#
            .write(toFile: tmp.file("gemma2.json"), atomically: true, encoding: .utf8)
        let args = ["--config", tmp.file("gemma2.json"), "--tokenizer", tok, "--max-steps", "4", "--save-every", "2", "--batch-size", "4", "--quiet"]
        var r = try c2s(["train", prompts, "-o", tmp.file("a")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("a/config.json")))) as? [String: Any])
        XCTAssertEqual(config["model_type"] as? String, "gemma2")
        let log = try metrics(tmp.file("a/metrics.jsonl"))
        XCTAssertEqual(log.compactMap { $0["loss"] == nil ? nil : $0["step"] as? Int }, [1, 2, 3, 4])
        XCTAssertTrue(log.compactMap { $0["loss"] as? Double }.allSatisfy(\.isFinite))
        r = try c2s(["train", prompts, "-o", tmp.file("b"), "--resume", tmp.file("a/checkpoint-2")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try metrics(tmp.file("b/metrics.jsonl")).map(deterministic), log.map(deterministic))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file("a/model.safetensors"))),
                       try Data(contentsOf: URL(fileURLWithPath: tmp.file("b/model.safetensors"))))
        r = try c2s(["lm", "generate", "--model", tmp.file("a"), "--prompt", "Top genes of one cell: LYZ CD14. Cell type:", "--max-new-tokens", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// Prompts of 16 examples of `genes` genes, a tokenizer for them, and a stand-in sentence
    /// dataset folder `ds` (only its manifest and vocabulary are copied by `c2s train --sentences`).
    func standInTraining(genes: Int) throws -> (tmp: TemporaryFolder, prompts: String, tokenizer: String) {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts, examples: 16, genes: genes)
        let tok = try tokenizer(tmp, prompts: prompts)
        let folder = tmp.file("ds")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "{\"tool\": \"c2s\"}\n".write(toFile: folder + "/manifest.json", atomically: true, encoding: .utf8)
        try "gene\tn_cells\nCD3E\t3\n".write(toFile: folder + "/vocab.tsv", atomically: true, encoding: .utf8)
        return (tmp, prompts, tok)
    }

    /// The `c2s.json` of a trained model folder.
    func modelInfo(_ folder: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/c2s.json"))) as? [String: Any])
    }

    func testLongExamplesLoseTheirLastGenesAndTheSentenceDatasetIsCopied() throws {
        let (tmp, prompts, tok) = try standInTraining(genes: 60)
        var args = newModelArgs(tok) + ["--max-steps", "1", "--max-length", "48", "--sentences", tmp.file("ds")]
        args.removeAll { $0 == "--quiet" }
        let r = try c2s(["train", prompts, "-o", tmp.file("out")] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("13 training examples were longer than 48 tokens"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: tmp.file("out/vocab.tsv"), encoding: .utf8), "gene\tn_cells\nCD3E\t3\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("out/manifest.json")))
        let info = try modelInfo(tmp.file("out"))
        let truncation = try XCTUnwrap(info["truncation"] as? [String: Any])
        XCTAssertEqual(truncation["truncated_by_sentence"] as? Int, 13)
        XCTAssertGreaterThan(try XCTUnwrap(truncation["dropped_genes"] as? Int), 13)
        XCTAssertLessThanOrEqual(try XCTUnwrap(truncation["longest_tokens"] as? Int), 48)
        XCTAssertEqual((info["sentence_dataset"] as? [String: Any])?["vocab"] as? String, "vocab.tsv")
        // The genes per cell its training inputs showed (before truncation), which task commands
        // then show by default.
        XCTAssertEqual(info["top_k"] as? Int, 60)
    }

    /// Fine-tuning a c2s model without --sentences keeps its base's sentence dataset: the
    /// copies of manifest.json and vocab.tsv and the recorded path.
    func testFineTuningKeepsTheBasesSentenceDataset() throws {
        let (tmp, prompts, tok) = try standInTraining(genes: 10)
        var r = try c2s(["train", prompts, "-o", tmp.file("base"), "--sentences", tmp.file("ds")] + newModelArgs(tok) + ["--max-steps", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["train", prompts, "-o", tmp.file("tuned"), "--model", tmp.file("base"), "--max-steps", "1", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try String(contentsOfFile: tmp.file("tuned/vocab.tsv"), encoding: .utf8), "gene\tn_cells\nCD3E\t3\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("tuned/manifest.json")))
        let path = (try modelInfo(tmp.file("base"))["sentence_dataset"] as? [String: Any])?["path"] as? String
        XCTAssertNotNil(path)
        XCTAssertEqual((try modelInfo(tmp.file("tuned"))["sentence_dataset"] as? [String: Any])?["path"] as? String, path)
    }

    /// Without `input_sentence_spans` the genes per cell are unknown: no `top_k` is written.
    func testNoTopKWithoutSentenceSpans() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts, examples: 16, genes: 10, spans: false)
        let tok = try tokenizer(tmp, prompts: prompts)
        let r = try c2s(["train", prompts, "-o", tmp.file("out")] + newModelArgs(tok) + ["--max-steps", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let info = try modelInfo(tmp.file("out"))
        XCTAssertNil(info["top_k"])
    }

    func testLogEveryPrintsOneLinePerStepWithTheLossOfMetricsJSONLAndQuietNone() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        let tok = try tokenizer(tmp, prompts: prompts)
        let args = newModelArgs(tok).filter { $0 != "--quiet" } + ["--max-steps", "4"]
        func stepLines(_ r: ProcessResult) -> [Substring] { r.stderr.split(separator: "\n").filter { $0.hasPrefix("training: step ") } }

        let r = try c2s(["train", prompts, "-o", tmp.file("a"), "--log-every", "1"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let steps = try metrics(tmp.file("a/metrics.jsonl")).filter { $0["loss"] != nil }
        XCTAssertEqual(steps.count, 4)
        let lines = stepLines(r)
        XCTAssertEqual(lines.count, 4, r.stderr)
        for (line, m) in zip(lines, steps) {
            let step = try XCTUnwrap(m["step"] as? Int), loss = try XCTUnwrap(m["loss"] as? Double)
            XCTAssertTrue(line.hasPrefix("training: step \(step)/4, loss \(String(format: "%.4f", loss)), lr "), "\(line) vs \(m)")
            XCTAssertTrue(line.contains(" tok/s, elapsed ") && line.contains(", ETA "), String(line))
        }
        // Not a terminal: no bar redrawn with carriage returns, and no plain progress lines
        // either (the step lines are the progress report).
        XCTAssertFalse(r.stderr.contains("\r") || r.stderr.contains("█"), r.stderr)

        // The default (every 10 steps) still reports the last step.
        let byDefault = try c2s(["train", prompts, "-o", tmp.file("b")] + args)
        XCTAssertEqual(byDefault.status, 0, byDefault.stderr)
        XCTAssertEqual(stepLines(byDefault).map { String($0.prefix("training: step 4/4,".count)) }, ["training: step 4/4,"], byDefault.stderr)

        let quiet = try c2s(["train", prompts, "-o", tmp.file("c"), "--log-every", "1", "-q"] + args)
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "", "-q prints no step lines")

        let off = try c2s(["train", prompts, "-o", tmp.file("d"), "--log-every", "0"] + args)
        XCTAssertEqual(off.status, 0, off.stderr)
        XCTAssertEqual(stepLines(off), [], off.stderr)
        // With no step lines, a log file gets the plain progress lines instead.
        XCTAssertTrue(off.stderr.contains("training: 4/4 steps (100%)"), off.stderr)
        let negative = try c2s(["train", prompts, "-o", tmp.file("e"), "--log-every", "-1"] + args)
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.stderr.contains("--log-every"), negative.stderr)
    }

    func testNaNLossStopsKeepingTheLastCheckpoint() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        let tok = try tokenizer(tmp, prompts: prompts)
        var args = newModelArgs(tok) + ["--max-steps", "8", "--save-every", "1", "--max-grad-norm", "0", "--warmup-steps", "0"]
        args[args.firstIndex(of: "--learning-rate")! + 1] = "1e30"
        let r = try c2s(["train", prompts, "-o", tmp.file("out")] + args)
        XCTAssertEqual(r.status, 4, r.stderr)
        XCTAssertTrue(r.stderr.contains("NaN or infinite"), r.stderr)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: tmp.file("out")))
        XCTAssertFalse(files.contains("model.safetensors"), "no final model after a NaN: \(files)")
        let checkpoints = files.filter { $0.hasPrefix("checkpoint-") }
        XCTAssertFalse(checkpoints.isEmpty, "\(files)")
        let last = checkpoints.compactMap { Int($0.dropFirst("checkpoint-".count)) }.max()!
        XCTAssertTrue(r.stderr.contains("checkpoint-\(last)"), r.stderr)
        // The kept checkpoint holds finite weights and loads.
        let g = try c2s(["lm", "generate", "--model", tmp.file("out/checkpoint-\(last)"), "--prompt", "Top genes", "--max-new-tokens", "1"])
        XCTAssertEqual(g.status, 0, g.stderr)
    }

    /// --overwrite of an earlier model by a run that fails (NaN loss) keeps the earlier model:
    /// here the failed run saved checkpoints, so both stay and the note says where.
    func testAFailedOverwriteKeepsTheEarlierModel() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        let tok = try tokenizer(tmp, prompts: prompts)
        let out = tmp.file("out")
        var r = try c2s(["train", prompts, "-o", out] + newModelArgs(tok) + ["--max-steps", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let earlier = try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors"))
        var args = newModelArgs(tok) + ["--max-steps", "8", "--save-every", "1", "--max-grad-norm", "0", "--warmup-steps", "0", "--overwrite"]
        args[args.firstIndex(of: "--learning-rate")! + 1] = "1e30"
        r = try c2s(["train", prompts, "-o", out] + args)
        XCTAssertEqual(r.status, 4, r.stderr)
        let aside = tmp.file(".out.c2s-previous")
        XCTAssertTrue(r.stderr.contains("note: the output this run was replacing is kept in \(aside)"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: aside + "/model.safetensors")), earlier)
        // A later run that finishes replaces both.
        r = try c2s(["train", prompts, "-o", out] + newModelArgs(tok) + ["--max-steps", "2", "--overwrite"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: aside))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: out).contains { $0.hasPrefix("checkpoint-") })
    }

    func testBadInputGivesOneClearErrorAndNoOutput() throws {
        let tmp = try TemporaryFolder()
        let prompts = tmp.file("prompts.jsonl")
        try writePrompts(prompts)
        let tok = try tokenizer(tmp, prompts: prompts)
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: tmp.file(name), atomically: true, encoding: .utf8)
            return tmp.file(name)
        }
        func fails(_ file: String, _ extra: [String], _ needles: [String], line: UInt = #line) throws {
            let r = try c2s(["train", file, "-o", tmp.file("out")] + newModelArgs(tok) + ["--max-steps", "1"] + extra)
            XCTAssertNotEqual(r.status, 0, line: line)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, line: line)
            for n in needles { XCTAssertTrue(r.stderr.contains(n), "\(r.stderr) lacks \(n)", line: line) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")), line: line)
        }
        try fails(try write("empty.jsonl", "\n"), [], ["empty.jsonl", "no examples"])
        try fails(try write("broken.jsonl", "{\"task\":\"t\",\"split\":\"train\",\"model_input\":\"a\",\"response\":\"b\"}\n{oops\n"), [], ["broken.jsonl", "line 2"])
        try fails(try write("nosplit.jsonl", "{\"task\":\"t\",\"split\":\"test\",\"model_input\":\"a\",\"response\":\"b\"}\n"), [], ["nosplit.jsonl", "split \"train\"", "test 1"])
        let long = Array(repeating: "a very long answer", count: 40).joined(separator: " ")
        try fails(try write("long.jsonl", "{\"task\":\"t\",\"split\":\"train\",\"model_input\":\"Q:\",\"response\":\"ok\"}\n{\"task\":\"t\",\"split\":\"train\",\"model_input\":\"Q:\",\"response\":\"\(long)\"}\n"),
                  [], ["long.jsonl", "line 2", "response", "64"])
        let usage = try c2s(["train", prompts, "-o", tmp.file("out")] + newModelArgs(tok) + ["--loss-on", "prompt"])
        XCTAssertNotEqual(usage.status, 0)
        XCTAssertTrue(usage.stderr.contains("--loss-on must be response or all"), usage.stderr)
        try fails(prompts, ["--sentences", tmp.file("nothing")], ["nothing/manifest.json"])
        try fails(prompts, ["--resume", tmp.file("nothing")], ["nothing", "no such checkpoint"])
        // A label column the sentence dataset does not have.
        let sim = tmp.file("sim.h5ad")
        XCTAssertEqual(try c2s(["simulate", "--cells", "20", "--genes", "60", "--seed", "1", "-o", sim, "--quiet"]).status, 0)
        XCTAssertEqual(try c2s(["convert", sim, "-o", tmp.file("ds"), "--obs-columns", "cell_type", "--min-genes", "0", "--quiet"]).status, 0)
        try fails(prompts, ["--sentences", tmp.file("ds"), "--label-column", "tissue"], ["ds/manifest.json", "no obs column 'tissue'", "its columns: cell_type"])
        let r = try c2s(["train", prompts, "-o", tmp.file("out"), "--new-model", "gpt_neox", "--max-steps", "1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--tokenizer"), r.stderr)
        try FileManager.default.createDirectory(atPath: tmp.file("out"), withIntermediateDirectories: true)
        let exists = try c2s(["train", prompts, "-o", tmp.file("out")] + newModelArgs(tok) + ["--max-steps", "1"])
        XCTAssertNotEqual(exists.status, 0)
        XCTAssertTrue(exists.stderr.contains("--overwrite"), exists.stderr)
    }
}

/// A seeded generator for the synthetic data (SplitMix64).
struct SeededShuffle: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
