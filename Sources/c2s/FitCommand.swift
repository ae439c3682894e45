import ArgumentParser
import C2S
import CellSentences
import Foundation
import Mechanics
import SingleCell

struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit the inverse transform of a sentence dataset again, with other settings.",
        discussion: """
            Reads the dataset's input again (its SHA-256 must match the manifest), applies the \
            same preprocessing, samples cells, fits expression = slope * log10(1 + rank) + \
            intercept on the points below the threshold, reports R^2, Pearson and Spearman over \
            all non-zero entries of the sampled cells, and stores the result in manifest.json.

            Example:
              c2s fit pbmc-sentences --fit-by cell_type --fit-cells 512
            """)

    @Argument(help: "A sentence dataset folder made by 'c2s convert'.")
    var dataset: String

    @Option(help: "Where the input file is now, if it has moved since conversion.")
    var input: String?

    @OptionGroup(title: "Fit")
    var fit: FitOptions

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        try CLIErrors.run {
            let bar = ProgressBar(quiet: quiet)
            let result = try InverseTransformRefitting.run(folder: dataset, input: input, settings: fit.settings,
                                                           threads: threads ?? Parallel.defaultThreads,
                                                           progress: { bar.update("fitting", $0, $1) })
            bar.finish()
            if !quiet { printError(FitOptions.describe(result)) }
        }
    }
}
