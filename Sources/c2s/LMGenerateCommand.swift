import ArgumentParser
import C2S
import Foundation
import Transformer

struct LMGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue prompts with a language model (greedy or sampled).",
        discussion: """
            Prompts come from --prompt (repeatable), --prompts FILE (one prompt per line, or \
            JSONL whose model_input, prompt or text field is the prompt, e.g. a prompt dataset \
            from 'c2s prompts'), or --prompt-ids FILE (JSON arrays of token ids, one per line). \
            Sampling follows transformers: repetition penalty, then temperature, top-k, top-p. \
            The same --seed gives the same output whatever the thread count or batch size.

            Output: JSON lines with index, completion (text, when the model has a tokenizer), \
            tokens and finish_reason (eos, stop_string or length), to --output or stdout.

            Examples:
              c2s lm generate --model pythia-c2s --prompt "The cell type of this cell is" --max-new-tokens 20
              c2s lm generate --model pythia-c2s --prompts prompts.jsonl --sample --top-k 50 --top-p 0.95 -o out.jsonl
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("prompt"), help: "A prompt (repeatable).")
    var prompts: [String] = []

    @Option(name: .customLong("prompts"), help: "A file of prompts: text lines or JSONL.")
    var promptFile: String?

    @Option(help: "A file of token-id prompts: one JSON array per line.")
    var promptIds: String?

    @Option(help: "Most new tokens per prompt.")
    var maxNewTokens = 64

    @Option(help: "End-of-sequence is forbidden before this many new tokens.")
    var minNewTokens = 0

    @Flag(help: "Sample instead of greedy search.")
    var sample = false

    @Option(help: "Sampling temperature.")
    var temperature: Float = 1

    @Option(help: "Keep the k most likely tokens when sampling (0: off).")
    var topK = 0

    @Option(help: "Keep the smallest set of tokens with this much probability when sampling (1: off).")
    var topP: Float = 1

    @Option(help: "Repetition penalty (1: off).")
    var repetitionPenalty: Float = 1

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Option(name: .customLong("stop"), help: "Stop a sequence once its text contains this string (repeatable).")
    var stopStrings: [String] = []

    @Option(help: "Prompts per batch.")
    var batchSize = 8

    @Option(name: .shortAndLong, help: "JSONL file to write (default: stdout).")
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    @Flag(help: "Print timing (prefill and decoding tokens/s) to stderr.")
    var timing = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        let sources = (prompts.isEmpty ? 0 : 1) + (promptFile == nil ? 0 : 1) + (promptIds == nil ? 0 : 1)
        if sources != 1 { throw ValidationError("give prompts with exactly one of --prompt, --prompts or --prompt-ids") }
        if maxNewTokens < 0 || minNewTokens < 0 { throw ValidationError("--max-new-tokens and --min-new-tokens must not be negative") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        try CLIErrors.run {
            let model = try modelOptions.load()
            let source: LanguageModelPrompts = promptIds.map { .tokenIDs($0) } ?? promptFile.map { .file($0) } ?? .texts(prompts)
            var options = GenerationOptions(maxNewTokens: maxNewTokens, minNewTokens: minNewTokens,
                                            sampling: SamplingOptions(sample: sample, temperature: temperature, topK: topK,
                                                                      topP: topP, repetitionPenalty: repetitionPenalty),
                                            seed: seed)
            options.maxTokensPerPass = modelOptions.maxTokensPerPass
            var s = LanguageModelGenerationSettings(prompts: source, options: options)
            s.stopStrings = stopStrings
            s.batchSize = batchSize
            s.output = output
            s.overwrite = overwrite
            var progress: ProgressBar?
            let r = try LanguageModelGeneration.run(model: model, folder: modelOptions.folder, settings: s) { event in
                switch event {
                case .started: progress = ProgressBar(quiet: quiet)
                case .progress(let done, let total): progress?.update("generating", done, total, unit: "prompts")
                }
            }
            progress?.finish()
            if timing {
                printError(String(format: "generated %d tokens for %d prompts in %.3f s (%.1f new tokens/s, %.3f prompts/s)",
                                  r.newTokens, r.prompts, r.seconds, Double(r.newTokens) / r.seconds, Double(r.prompts) / r.seconds))
            }
        }
    }
}
