import ArgumentParser
import Foundation
import Transformer

extension WeightPrecision: ExpressibleByArgument {}

struct LMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Run a Hugging Face causal language model natively: generate text, embed sequences.",
        discussion: """
            MODEL is a Hugging Face folder: config.json (model_type gpt2, gpt_neox, gemma2 or \
            llama), model.safetensors or shards with model.safetensors.index.json, and \
            tokenizer.json (+ tokenizer_config.json) for text prompts. No Python is involved.
            """,
        subcommands: [LMGenerateCommand.self, LMEmbedCommand.self, LMTokenizeCommand.self, LMMergeCommand.self, LMBenchTrainCommand.self,
                      LMQuantizationCheckCommand.self])
}

/// Options shared by the `lm` subcommands.
struct ModelOptions: ParsableArguments {
    @Option(help: "Hugging Face model folder (or a LoRA adapter folder naming its base).")
    var model: String

    @Option(help: "LoRA adapter folder (from 'c2s train --lora-rank' or PEFT) to run on top of --model.")
    var adapter: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Most tokens fed through the model in one pass (bounds activation memory).")
    var maxTokensPerPass = 8192

    @Flag(help: "Decode an fp32 model with bfloat16 copies of its weights (AVX512_BF16 CPUs; faster generation, logits within ~1e-2 of fp32). Prompts are still read in fp32. Implied when the weights are bf16 (--weights).")
    var bf16 = false

    @Option(help: "Precision of the weight matrices in memory: auto (as stored: a bf16 checkpoint stays bf16, with no fp32 copy; fp32 and fp16 checkpoints load as fp32), fp32, or bf16 (fp32/fp16 matrices rounded once; half the memory). Default auto; not with --quantize.")
    var weights: WeightPrecision?

    @Option(help: "Quantize the weight matrices as they load, for inference: int8 (weight-only, one scale per row; a quarter of fp32's memory, faster decoding than bf16, logits a little off fp32's). Replaces --weights.")
    var quantize: WeightQuantization?

    func validate() throws {
        try ModelLoading.validate(threads: threads, maxTokensPerPass: maxTokensPerPass, quantize: quantize, weights: weights, bf16: bf16)
    }

    func load() throws -> any CausalLanguageModel {
        try ModelLoading.load(threads: threads, bf16: bf16, language: { $0 }) {
            try ModelLoader.load(folder: URL(fileURLWithPath: model), adapter: adapter, weights: weights ?? .auto, quantize: quantize)
        }
    }

    func tokenizer() throws -> Tokenizer {
        let folder = ModelLoader.tokenizerFolder(model: model, adapter: adapter)
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path) else {
            throw ModelError.missingFile(folder, "tokenizer.json", "text prompts need the model's tokenizer; --prompt-ids takes token ids instead")
        }
        return try Tokenizer.load(folder: folder)
    }

    /// End-of-sequence ids: the model config's, plus generation_config.json's when present. A
    /// damaged generation_config.json is an error: ignoring it silently changed where
    /// generation stops.
    func stopTokens(_ model: any CausalLanguageModel) throws -> [Int32] {
        var ids = model.info.eosTokenIDs
        let url = URL(fileURLWithPath: self.model).appendingPathComponent("generation_config.json")
        if FileManager.default.fileExists(atPath: url.path) {
            let file = try ConfigFile(url: url)
            for id in file.tokenIDs("eos_token_id") where !ids.contains(id) { ids.append(id) }
        }
        return ids
    }
}

/// Text prompts from a file: JSON lines whose model_input, prompt or text field (or the line
/// itself, when it is a JSON string) is the prompt, or plain text lines.
enum PromptFile {
    static func read(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.input("\(path): cannot be read") }
        var result: [String] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let first = text.first(where: { !$0.isWhitespace })
            if first == "{" || first == "\"" {
                guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) else {
                    throw ModelError.input("\(path):\(n + 1): not valid JSON")
                }
                if let s = value as? String { result.append(s); continue }
                guard let object = value as? [String: Any],
                      let prompt = ["model_input", "prompt", "text"].lazy.compactMap({ object[$0] as? String }).first else {
                    throw ModelError.input("\(path):\(n + 1): a JSON line needs a model_input, prompt or text field")
                }
                result.append(prompt)
            } else {
                result.append(text)
            }
        }
        guard !result.isEmpty else { throw ModelError.input("\(path): no prompts") }
        return result
    }
}

/// Token-id prompts: a file of JSON arrays of integers, one per line.
enum TokenIDFile {
    /// The prompts of a token-id file; each id must lie in `0..<vocabularySize` when given (and
    /// in Int32 always: a larger id once wrapped silently to a small one).
    static func read(_ path: String, vocabularySize: Int? = nil) throws -> [[Int32]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.input("\(path): cannot be read") }
        var result: [[Int32]] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any],
                  let ids = array as? [Int] else {
                throw ModelError.input("\(path):\(n + 1): expected a JSON array of token ids")
            }
            let limit = vocabularySize ?? Int(Int32.max) + 1
            if let bad = ids.first(where: { $0 < 0 || $0 >= limit }) {
                throw ModelError.input("\(path):\(n + 1): token id \(bad) is outside the \(vocabularySize.map { "model's vocabulary (size \($0))" } ?? "range of token ids")")
            }
            result.append(ids.map { Int32($0) })
        }
        guard !result.isEmpty else { throw ModelError.input("\(path): no prompts") }
        return result
    }
}
