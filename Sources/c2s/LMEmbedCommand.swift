import ArgumentParser
import C2S
import Foundation
import Transformer

struct LMEmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed sequences with a language model's final hidden states.",
        discussion: """
            Each sequence's vector is the mean of the final hidden states (after the final \
            norm) over its own tokens, or its last token's state (--pooling last-token). \
            Sequences are never padded, so a vector does not depend on the rest of the batch.

            Output: JSON lines with index and embedding, to --output or stdout.

            Example:
              c2s lm embed --model pythia-c2s --prompts sentences.txt -o embeddings.jsonl
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("prompts"), help: "A file of texts: plain lines or JSONL (model_input, prompt or text field).")
    var promptFile: String?

    @Option(help: "A file of token-id sequences: one JSON array per line.")
    var promptIds: String?

    @Option(help: "mean or last-token.")
    var pooling: String = "mean"

    @Option(name: .shortAndLong, help: "JSONL file to write (default: stdout).")
    var output: String?

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    func validate() throws {
        if Pooling(rawValue: pooling) == nil { throw ValidationError("--pooling must be mean or last-token") }
        if (promptFile == nil) == (promptIds == nil) { throw ValidationError("give exactly one of --prompts or --prompt-ids") }
    }

    func run() throws {
        try CLIErrors.run {
            let model = try modelOptions.load()
            var s = LanguageModelEmbeddingSettings(prompts: promptIds.map { .tokenIDs($0) } ?? .file(promptFile!))
            s.pooling = Pooling(rawValue: pooling)!
            s.maxTokensPerPass = modelOptions.maxTokensPerPass
            s.output = output
            s.overwrite = overwrite
            try LanguageModelEmbedding.run(model: model, folder: modelOptions.folder, settings: s)
        }
    }
}
