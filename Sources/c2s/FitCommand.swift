import ArgumentParser
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
            var manifest = try DatasetManifest.read(folder: dataset)
            let source = try DatasetInput.open(manifest, folder: dataset, override: input)
            let threads = self.threads ?? Parallel.defaultThreads
            let (plan, transform) = try DatasetInput.replan(source, manifest: manifest, threads: threads, blockSize: 4096)
            guard plan.counts.cellsKept == manifest.counts.cellsKept else {
                throw DataError("the input now gives \(plan.counts.cellsKept) cells after filtering, the dataset has \(manifest.counts.cellsKept); convert it again")
            }
            let bar = ProgressBar(quiet: quiet)
            let result = try InverseTransform.refit(source, plan: plan, settings: fit.settings, transform: transform,
                                                    threads: threads, blockSize: 4096,
                                                    progress: { bar.update("fitting", $0, $1) })
            bar.finish()
            manifest.inverseTransform = result
            try manifest.write(folder: dataset)
            if !quiet { printError(FitOptions.describe(result)) }
        }
    }
}
