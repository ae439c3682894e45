import ArgumentParser
import Foundation
import Transformer

struct LMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Run a Hugging Face causal language model natively: generate text, embed sequences.",
        discussion: """
            MODEL is a Hugging Face folder: config.json (model_type gpt2, gpt_neox, gemma2 or \
            llama), model.safetensors or shards with model.safetensors.index.json, and \
            tokenizer.json (+ tokenizer_config.json) for text prompts. No Python is involved.
            """,
        subcommands: [LMGenerateCommand.self, LMEmbedCommand.self])
}

/// Options shared by the `lm` subcommands.
struct ModelOptions: ParsableArguments {
    @Option(help: "Hugging Face model folder.")
    var model: String

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Most tokens fed through the model in one pass (bounds activation memory).")
    var maxTokensPerPass = 8192

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if maxTokensPerPass < 1 { throw ValidationError("--max-tokens-per-pass must be at least 1") }
    }

    func load() throws -> any CausalLanguageModel {
        if let threads { KernelThreads.count = threads }
        Matmul.setThreads(KernelThreads.count)
        return try ModelLoader.load(folder: URL(fileURLWithPath: model))
    }
}

/// Token-id prompts: a file of JSON arrays of integers, one per line.
enum TokenIDFile {
    static func read(_ path: String) throws -> [[Int32]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.input("\(path): cannot be read") }
        var result: [[Int32]] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any],
                  let ids = array as? [Int] else {
                throw ModelError.input("\(path):\(n + 1): expected a JSON array of token ids")
            }
            result.append(ids.map { Int32(truncatingIfNeeded: $0) })
        }
        guard !result.isEmpty else { throw ModelError.input("\(path): no prompts") }
        return result
    }
}
