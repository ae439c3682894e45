import ArgumentParser
import Foundation
import Mechanics
import SingleCell
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
            let texts = try PromptFile.read(input)
            let folder = URL(fileURLWithPath: tokenizer)
            func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
            var t = now()
            var tok = try Tokenizer.load(folder: folder)
            let loadSeconds = now() - t
            let special = !noSpecialTokens
            guard benchmark else {
                let ids = tok.encodeBatch(texts, addSpecialTokens: special)
                let out = try LineOutput(path: output, overwrite: overwrite, inputs: [input])
                for row in ids { try out.write("[" + row.map { String($0) }.joined(separator: ",") + "]") }
                try out.commit()
                return
            }
            // Each timing starts from a freshly loaded tokenizer (cold word cache), as the
            // reference script does.
            t = now()
            let single = texts.map { tok.encode($0, addSpecialTokens: special) }
            let singleSeconds = now() - t
            tok = try Tokenizer.load(folder: folder)
            t = now()
            let batch = tok.encodeBatch(texts, addSpecialTokens: special)
            let batchSeconds = now() - t
            guard batch == single else { throw ModelError.input("parallel and one-at-a-time encodings differ") }
            t = now()
            for ids in single { _ = tok.decode(ids) }
            let decodeSeconds = now() - t
            var checksum: UInt64 = 0
            var tokens = 0
            for ids in single {
                tokens += ids.count
                for i in ids { checksum = checksum &* 31 &+ UInt64(UInt32(bitPattern: i)) }
            }
            print(JSONLine.object([("impl", .string("c2s")), ("texts", .int(texts.count)), ("tokens", .int(tokens)),
                                   ("load_s", .double(loadSeconds)), ("single_s", .double(singleSeconds)),
                                   ("batch_s", .double(batchSeconds)), ("decode_s", .double(decodeSeconds)),
                                   ("checksum", .number(String(checksum)))]))
        }
    }
}
