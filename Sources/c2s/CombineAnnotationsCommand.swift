import ArgumentParser
import C2S
import Foundation

struct CombineAnnotationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "combine-annotations",
        abstract: "Combine constrained annotations of the same cells by several models into one.",
        discussion: """
            Each INPUT is an .h5ad from 'c2s annotate --mode constrained' of the same cells and \
            labels (e.g. one model reading the cells' whole sentences and one reading their \
            sentences over the highly variable genes, 'c2s subset-genes'). Every label's score is \
            the mean of its log-likelihoods over the inputs (a geometric mean of the models' \
            probabilities, as --noisy-copies averages a cell's copies), and each cell gets the \
            label of the highest mean.

            Output: an .h5ad whose obs holds the first input's columns other than c2s_*, then \
            c2s_label, c2s_score, c2s_probability and c2s_score_<label>, as 'c2s annotate' \
            writes them ('c2s evaluate annotation' reads it), and the same table as CSV.

            Examples:
              c2s combine-annotations whole.h5ad hvg.h5ad -o combined.h5ad
            """)

    @Argument(help: "Constrained annotation results (.h5ad), two or more.")
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: "The .h5ad file to write.")
    var output: String

    @Option(help: "The CSV file to write (default: OUTPUT with .csv).")
    var csv: String?

    @Flag(help: "Replace the outputs if they exist.")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "No summary.")
    var quiet = false

    func validate() throws {
        if inputs.count < 2 { throw ValidationError("give at least two annotation results") }
    }

    func run() throws {
        try CLIErrors.run {
            var s = AnnotationCombiningSettings(inputs: inputs, output: output)
            s.csv = csv
            s.overwrite = overwrite
            let r = try AnnotationCombining.run(s)
            if !quiet {
                printError("\(r.cells) cells, \(r.labels.count) labels; combined label equal to each input's own: "
                           + zip(inputs, r.agreement).map { "\($0.0) \($0.1)" }.joined(separator: ", ") + " -> \(output)")
            }
        }
    }
}
