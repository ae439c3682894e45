import ArgumentParser
import C2S
import Foundation
import SingleCell
import Transformer

struct TokenizerTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a byte-level BPE tokenizer (tokenizer.json + tokenizer_config.json) on prompts or cell sentences.",
        discussion: """
            CORPUS is a prompt dataset from 'c2s prompts' (model_input and response joined by \
            one space, as the model sees them), a sentence dataset folder (the cell_sentence of \
            each line of cells.jsonl), or a file of text lines. The result is GPT-2 style \
            (ByteLevel pre-tokenizer, 256 byte symbols, merges by pair frequency, ties to the \
            smaller token ids) and loads in 'c2s lm', in tokenizers and in transformers' \
            AutoTokenizer.

            Gene-aware variant (--genes FILE or --gene-aware DATASET): every gene of the list is \
            one token, " GENE" after a space and "GENE" elsewhere (added tokens, matched before \
            BPE); the merges are learned on the rest of the text. With --genes-within-first N \
            only the genes among the first N of at least one cell's sentence become tokens: a \
            model of N-gene sentences never meets the others, and every gene token costs an \
            output-head row in training (kang-ifnb-sub2k, N = 100: 4,231 of 11,576 genes).

            The summary reports tokens per example and per gene occurrence on the corpus (genes: \
            the gene-aware list, --measure-genes, or the vocab.tsv of a dataset CORPUS).

            Examples:
              c2s tokenizer train prompts.jsonl -o bpe
              c2s tokenizer train prompts.jsonl --gene-aware kang-sentences -o bpe-genes
              c2s tokenizer train prompts.jsonl --gene-aware kang-sentences --genes-within-first 100 -o bpe-genes
            """)

    @Argument(help: "Prompt JSONL files, sentence dataset folders or text files.")
    var corpus: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; holds tokenizer.json and tokenizer_config.json).")
    var output: String

    @Option(help: "Model vocabulary size: special tokens + 256 bytes + merges (gene tokens come on top).")
    var vocabSize = 9609

    @Option(help: "Smallest number of occurrences of a pair for it to be merged.")
    var minFrequency = 2

    @Option(help: "Gene list for the gene-aware variant: vocab.tsv (gene<TAB>n_cells) or one gene per line.")
    var genes: String?

    @Option(help: "Sentence dataset folder whose vocab.tsv gives the genes of the gene-aware variant.")
    var geneAware: String?

    @Option(help: ArgumentHelp("With --gene-aware: only the genes among the first N genes of at least one cell's sentence become tokens (N: the prompts' --top-k).", valueName: "N"))
    var genesWithinFirst: Int?

    @Option(help: "Gene list (file or dataset folder) used only to report tokens per gene.")
    var measureGenes: String?

    @Option(help: "Comma-separated JSON fields joined into one text (default: model_input,response; cell_sentence for datasets).")
    var field: String?

    @Option(help: "Comma-separated special tokens, first ids; the first is BOS/EOS, the second padding.")
    var specialTokens = "<|endoftext|>,<|pad|>"

    @Option(help: "model_max_length written to tokenizer_config.json.")
    var modelMaxLength = 1024

    @Option(help: "Threads for counting words (default: all cores).")
    var threads: Int?

    @Flag(help: "Replace the output folder if it exists.")
    var overwrite = false

    func validate() throws {
        if corpus.isEmpty { throw ValidationError("give at least one CORPUS file or folder") }
        if genes != nil && geneAware != nil { throw ValidationError("--genes and --gene-aware both give the gene list; use one") }
        if let n = genesWithinFirst {
            if geneAware == nil { throw ValidationError("--genes-within-first needs --gene-aware DATASET (the sentences whose first genes are kept)") }
            if n < 1 { throw ValidationError("--genes-within-first must be at least 1") }
        }
        if minFrequency < 1 { throw ValidationError("--min-frequency must be at least 1") }
        if modelMaxLength < 1 { throw ValidationError("--model-max-length must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try CLIErrors.run {
            let specials = specialTokens.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var s = TokenizerTrainingSettings(corpus: corpus, output: output)
            s.fields = field.map { $0.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) } }
            s.genesFile = genes ?? geneAware.map { URL(fileURLWithPath: $0).appendingPathComponent("vocab.tsv").path }
            if let n = genesWithinFirst, let geneAware { s.genesWithinFirst = (n, geneAware) }
            s.measureGenesFile = measureGenes
            s.options.vocabSize = vocabSize
            s.options.minFrequency = minFrequency
            s.options.specialTokens = specials
            if let threads { s.options.workers = threads }
            s.modelMaxLength = modelMaxLength
            s.overwrite = overwrite
            let r = try TokenizerTraining.run(s)
            let trained = r.trained
            let merged = trained.modelTokens.count - specials.count - 256
            print("corpus: \(r.examples) examples, \(trained.distinctWords) distinct words (\(trained.wordOccurrences) occurrences) outside added tokens")
            var vocabulary = "vocabulary: \(trained.vocabularySize) ids = \(trained.modelTokens.count) BPE tokens (\(specials.count) special + 256 bytes + \(merged) merged)"
            if let genes = r.genes {
                vocabulary += " + \(trained.vocabularySize - trained.modelTokens.count) gene tokens (\(genes) genes, \" GENE\" and \"GENE\")"
            }
            print(vocabulary + "; \(trained.merges.count) merges")
            print(String(format: "training: %.2f s", r.seconds))
            print(String(format: "tokens per example: %.2f (%d tokens)", r.summary.tokensPerExample, r.summary.tokens))
            if let perGene = r.summary.tokensPerGene {
                print(String(format: "tokens per gene: %.4f (%d gene occurrences)", perGene, r.summary.geneOccurrences))
            } else {
                print("tokens per gene: n/a (no gene list: use --measure-genes)")
            }
            print("wrote \(output)/tokenizer.json and \(output)/tokenizer_config.json")
        }
    }
}
