import ArgumentParser
import Foundation
import Transformer

/// `c2s lm check-quantization`: how far a quantized model's logits are from the fp32 model's
/// on the user's own prompts, before trusting `--quantize` with a run.
struct LMQuantizationCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-quantization",
        abstract: "Compare a quantized model's next-token logits with the fp32 model's on real prompts.",
        discussion: """
            Loads MODEL twice, in fp32 and quantized (--quantize), runs every sequence through \
            both (all positions, one pass each, cut to the model's context) and prints one JSON \
            object: positions compared, top-1 next-token agreement, the largest and mean |logit \
            difference|, and the largest |fp32 logit| for scale. Needs memory for both models.

            Example:
              c2s lm check-quantization --model pythia-c2s --prompts prompts.jsonl
            """)

    @Option(help: "Hugging Face model folder.")
    var model: String

    @Option(help: "The quantization to check.")
    var quantize: WeightQuantization = .int8

    @Option(name: .customLong("prompts"), help: "A file of texts: plain lines or JSONL (model_input, prompt or text field; with --with-response, model_input + ' ' + response).")
    var promptFile: String?

    @Option(help: "A file of token-id sequences: one JSON array per line.")
    var promptIds: String?

    @Flag(help: "Append each JSONL line's response field to its model_input (teacher forcing over whole training examples).")
    var withResponse = false

    @Option(help: "Use at most this many sequences.")
    var limit: Int?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if (promptFile == nil) == (promptIds == nil) { throw ValidationError("give exactly one of --prompts or --prompt-ids") }
        if withResponse && promptFile == nil { throw ValidationError("--with-response reads --prompts") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try CLIErrors.run {
            if let threads { KernelThreads.count = threads }
            Matmul.setThreads(KernelThreads.count)
            let input: QuantizationCheck.Input = promptIds.map { QuantizationCheck.Input.tokenIDs($0) } ?? (withResponse ? .examples(promptFile!) : .prompts(promptFile!))
            let check = try QuantizationCheck.run(model: model, quantize: quantize, input: input, limit: limit)
            print(check.summary(quantization: quantize.rawValue))
        }
    }
}
