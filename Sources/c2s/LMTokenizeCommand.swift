import ArgumentParser
import C2S
import Foundation
import Transformer

struct LMTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode texts with a model's tokenizer.json (token ids, one JSON array per line).",
        discussion: """
            INPUT lines are JSON strings, JSON objects with a model_input, prompt or text \
            field, or plain text. The output feeds 'c2s lm generate --prompt-ids'. \
            --benchmark prints one JSON line of timings instead (load, encode one text at a \
            time, encode in parallel, decode, and a checksum of all ids), as \
            bench/tokenizer/ref_encode.py does for the tokenizers library.

            Example:
              c2s lm tokenize --tokenizer pythia-c2s prompts.jsonl -o ids.jsonl
            """)

    @Option(help: "Folder with tokenizer.json (and tokenizer_config.json), usually the model folder.")
    var tokenizer: String

    @Argument(help: "Texts to encode.")
    var input: String

    @Option(name: .shortAndLong, help: "JSONL file to write (default: stdout).")
    var output: String?

    @Flag(help: "Do not add the special tokens the tokenizer's post-processor adds (BOS/EOS).")
    var noSpecialTokens = false

    @Flag(help: "Print timings as one JSON line instead of the ids.")
    var benchmark = false

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    func run() throws {
        try CLIErrors.run {
            var s = TextTokenizationSettings(input: input, tokenizer: tokenizer)
            s.addSpecialTokens = !noSpecialTokens
            s.output = output
            s.overwrite = overwrite
            if benchmark {
                print(try TokenizerBenchmark.measure(s).jsonLine)
            } else {
                try TextTokenization.run(settings: s)
            }
        }
    }
}
