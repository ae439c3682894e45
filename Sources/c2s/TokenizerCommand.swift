import ArgumentParser

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train tokenizers for cell sentences (byte-level BPE, optionally with one token per gene), or extend one with more genes.",
        subcommands: [TokenizerTrainCommand.self, TokenizerExtendCommand.self])
}
