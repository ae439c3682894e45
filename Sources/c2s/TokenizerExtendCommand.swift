import ArgumentParser
import C2S
import Foundation

struct TokenizerExtendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extend",
        abstract: "Add gene tokens to a gene-aware tokenizer, keeping every token it has at its id.",
        discussion: """
            BASE is a tokenizer folder (e.g. from 'c2s tokenizer train --gene-aware'). Every gene \
            of DATASET's vocab.tsv without a token gets " GENE" and "GENE", as the gene-aware \
            tokenizer has them, numbered after the highest id in use; with --genes-within-first N \
            only the genes among the first N of at least one cell's sentence. Everything else in \
            tokenizer.json stays as it was, so a model trained with BASE reads text the same way \
            with the extension, and 'c2s train --model MODEL --tokenizer OUT --grow-vocabulary' \
            fine-tunes it with rows for the new tokens (what 'make demo' does when \
            ANNOTATION_TOP_GENES is above TOP_GENES: the annotation phase reads longer sentences \
            than the main training, whose output head stays the size of its own genes).

            Examples:
              c2s tokenizer extend bpe-genes --gene-aware kang-sentences --genes-within-first 200 -o bpe-genes-200
            """)

    @Argument(help: "The tokenizer folder to extend (read only).")
    var base: String

    @Option(help: "Sentence dataset folder whose vocab.tsv gives the genes.")
    var geneAware: String

    @Option(help: ArgumentHelp("Only the genes among the first N genes of at least one cell's sentence.", valueName: "N"))
    var genesWithinFirst: Int?

    @Option(name: .shortAndLong, help: "Output folder (created; tokenizer.json and the base's tokenizer_config.json).")
    var output: String

    @Flag(help: "Replace the output folder if it exists.")
    var overwrite = false

    func validate() throws {
        if let n = genesWithinFirst, n < 1 { throw ValidationError("--genes-within-first must be at least 1") }
    }

    func run() throws {
        try CLIErrors.run {
            var s = TokenizerExtendingSettings(base: base, dataset: geneAware, output: output)
            s.genesWithinFirst = genesWithinFirst
            s.overwrite = overwrite
            let r = try TokenizerExtending.run(s)
            print("genes: \(r.genesConsidered) considered, \(r.genesAdded) without a token before")
            print("vocabulary: \(r.vocabularyBefore) -> \(r.vocabularyAfter) ids (\(r.newIDs) new)")
            print("wrote \(output)/tokenizer.json")
        }
    }
}
