import ArgumentParser
import C2S
import Evaluation
import Foundation

struct EvaluateUMAPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "umap",
        abstract: "Compute a 2-D UMAP of a cell matrix and write its coordinates as CSV.",
        discussion: """
            The UMAP of 'c2s report eval' on its own: optional log-normalisation (--normalize, \
            c2s's log10(1 + x) of counts scaled to the target), PCA to --pca components (0: use \
            the matrix as it is, e.g. principal components computed elsewhere), exact k nearest \
            neighbours, umap-learn's fuzzy simplicial set, spectral initialisation and \
            stochastic gradient descent, seeded so the same seed gives the same map. Writes \
            cell,umap1,umap2 and prints the seconds the UMAP itself took (neighbours to layout).

            Example:
              c2s evaluate umap cells.h5ad --normalize 10000 --pca 50 -o umap.csv
            """)

    @Argument(help: "Cells (.h5ad, 10x, CSV).")
    var input: String

    @Option(name: .shortAndLong, help: "CSV to write (cell, umap1, umap2).")
    var output: String

    @Option(help: "Principal components to compute first (0: the matrix as it is).")
    var pca = 50

    @Option(help: "Log-normalise each cell to this total first (c2s convention, log10(1 + x)).")
    var normalize: Double?

    @Option(help: "Neighbours per cell, the cell itself included.")
    var neighbors = 15

    @Option(help: "Smallest distance between embedded points.")
    var minDist = 0.1

    @Option(help: "Epochs (default: 500 for at most 10,000 cells, else 200).")
    var epochs: Int?

    @Option(help: "Seed of the initial noise and the negative samples.")
    var seed: UInt64 = 0

    @Flag(help: "Also print the trustworthiness (k = neighbors) of the map against its input.")
    var trustworthiness = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if pca < 0 { throw ValidationError("--pca must be 0 or more") }
        if neighbors < 2 { throw ValidationError("--neighbors must be at least 2") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if !(minDist >= 0) { throw ValidationError("--min-dist must be 0 or more") }
        if let normalize, !(normalize > 0) { throw ValidationError("--normalize must be positive") }
    }

    func run() throws {
        try CLIErrors.run {
            var settings = UMAPWorkflowSettings(input: input)
            settings.pcaComponents = pca
            settings.normalizeTarget = normalize
            settings.umap.neighbors = neighbors
            settings.umap.minDist = minDist
            settings.umap.epochs = epochs
            settings.umap.seed = seed
            settings.trustworthiness = trustworthiness && !quiet
            let r = try UMAPWorkflow.run(settings)
            try MetricsFile.write(text: r.csv, to: output)
            guard !quiet else { return }
            let map = r.map
            print(String(format: "UMAP of %d cells (%d features): %d neighbours, %d epochs, graph components %d: %.3f s",
                         map.pointCount, r.features, map.neighbors, map.epochs, map.componentCount, r.seconds))
            if let t = r.trustworthiness {
                print(String(format: "trustworthiness (k = %d): %.6f", map.neighbors, t))
            } else if trustworthiness {
                print("trustworthiness: not computed (it needs fewer neighbours than half the cells)")
            }
            printError("wrote \(output)")
        }
    }
}
