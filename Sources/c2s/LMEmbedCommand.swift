import ArgumentParser
import Foundation
import Mechanics
import SingleCell
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
            let ids = try promptIds.map { try TokenIDFile.read($0, vocabularySize: model.info.vocabularySize) } ?? modelOptions.tokenizer().encodeBatch(try PromptFile.read(promptFile!))
            let vectors = try Embedder(model: model).embed(ids, pooling: Pooling(rawValue: pooling)!,
                                                           maxTokensPerPass: modelOptions.maxTokensPerPass)
            let out = try LineOutput(path: output, overwrite: overwrite, inputs: [promptFile, promptIds])
            for (i, v) in vectors.enumerated() { try out.write(JSONLine.object([("index", .int(i)), ("embedding", .doubles(v))])) }
            try out.commit()
        }
    }
}
