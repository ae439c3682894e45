import ArgumentParser
import C2S
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

    /// The files read beside the weights: the tokenizer and generation_config.json.
    var folder: LanguageModelFolder { LanguageModelFolder(model: model, adapter: adapter) }
}
