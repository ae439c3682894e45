import ArgumentParser
import Foundation
import Transformer

struct LMMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a LoRA adapter into its base model and save a plain model folder.",
        discussion: """
            The merged weights are W + (alpha / r) B·A for every adapted module (PEFT's \
            merge_and_unload), saved in fp32 with the base's config.json; the tokenizer, \
            generation_config.json and c2s.json come from the adapter's folder, else the base's. \
            OUT must not exist.

            Examples:
              c2s lm merge --model adapter -o merged            (adapter_config.json names the base)
              c2s lm merge --model pythia-410m --adapter adapter -o merged
            """)

    @Option(help: "Base model folder, or an adapter folder whose adapter_config.json names its base.")
    var model: String

    @Option(help: "LoRA adapter folder (when --model is the base).")
    var adapter: String?

    @Option(name: .shortAndLong, help: "Folder to write (must not exist).")
    var output: String

    func run() throws {
        try CLIErrors.run {
            let modules = try AdapterMerge.run(model: model, adapter: adapter, output: output)
            print("merged \(modules) adapted modules into \(output)")
        }
    }
}
