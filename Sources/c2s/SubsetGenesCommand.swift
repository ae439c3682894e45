import ArgumentParser
import C2S
import Foundation

struct SubsetGenesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subset-genes",
        abstract: "Keep a sentence dataset's sentences to a subset of genes (e.g. the highly variable ones).",
        discussion: """
            Writes a sentence dataset whose every sentence is SENTENCES' with the genes outside \
            the subset left out, the rest in their order, so a cell's first N genes are its N \
            most expressed genes of the subset. Cell names, obs columns and organism are kept; \
            the inverse transform is not (sentence positions are no longer expression ranks).

            --highly-variable N: the N most variable genes, chosen as scanpy's \
            highly_variable_genes(flavor="seurat", n_top_genes=N) on the counts normalised to \
            10,000 per cell and ln(1 + x), among the genes of the sentences, from the input \
            SENTENCES was converted from (read again, its SHA-256 checked; --input if it moved). \
            With --splits, only the cells of --split (default train) choose them, as the \
            logistic-regression baseline of 'c2s evaluate annotation' chooses its genes, so \
            held-out cells never pick the genes they are read by. --genes FILE: the genes \
            listed, one per line.

            A model trained on the subset's prompts ('c2s train --sentences OUT') reads only \
            sentences kept to its genes: 'c2s annotate' refuses the whole dataset with it and \
            keeps a count matrix to its genes (equal counts may then fall in another order than \
            in OUT: ties are arbitrary). 'make demo' trains such a model as a second view \
            of each cell and combines the two readings ('c2s combine-annotations').

            Examples:
              c2s subset-genes kang-sentences --highly-variable 2000 --splits splits.json -o kang-hvg
              c2s subset-genes kang-sentences --genes markers.txt -o kang-markers
            """)

    @Argument(help: "Sentence dataset folder (read only).")
    var sentences: String

    @Option(help: ArgumentHelp("Keep the N most variable genes (Seurat flavour).", valueName: "N"))
    var highlyVariable: Int?

    @Option(help: ArgumentHelp("Keep the genes listed in FILE, one per line.", valueName: "FILE"))
    var genes: String?

    @Option(help: "With --highly-variable: splits.json from 'c2s prompts'; only the cells of --split choose the genes.")
    var splits: String?

    @Option(help: "The split whose cells choose the genes.")
    var split = "train"

    @Option(help: "With --highly-variable: where the dataset's input file is now, if it moved.")
    var input: String?

    @Option(name: .shortAndLong, help: "Output folder (must not exist unless --overwrite).")
    var output: String

    @Flag(help: "Replace the output folder if it exists.")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "No summary.")
    var quiet = false

    func validate() throws {
        if (highlyVariable == nil) == (genes == nil) { throw ValidationError("give one of --highly-variable N and --genes FILE") }
        if let n = highlyVariable, n < 1 { throw ValidationError("--highly-variable must be at least 1") }
        if genes != nil && (splits != nil || input != nil) { throw ValidationError("--splits and --input go with --highly-variable") }
    }

    func run() throws {
        try CLIErrors.run {
            let choice: GeneSubsetSettings.Choice = genes.map { .listed(path: $0) }
                ?? .highlyVariable(count: highlyVariable!, splits: splits, split: split, input: input)
            var s = GeneSubsetSettings(sentences: sentences, output: output, choice: choice)
            s.overwrite = overwrite
            let r = try GeneSubsetting.run(s)
            if !quiet {
                if !r.missing.isEmpty {
                    printError("warning: \(r.missing.count) listed gene(s) are not in the sentences of \(sentences): \(r.missing.prefix(5).joined(separator: ", "))\(r.missing.count > 5 ? ", ..." : "")")
                }
                printError(String(format: "%d genes (%@); %d cells, mean sentence length %.0f genes -> %@",
                                  r.genes.count, r.manifest.geneSubset?.chosenBy ?? "", r.cells, r.manifest.sentences.meanLength, output))
            }
        }
    }
}
