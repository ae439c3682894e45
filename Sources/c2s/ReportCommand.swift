import ArgumentParser
import C2S
import CellSentences
import Evaluation
import Foundation
import Mechanics
import Reports
import SingleCell

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write HTML reports with figures.",
        subcommands: [TransformReportCommand.self, EvalReportCommand.self])
}

struct TransformReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transform",
        abstract: "Report how well a sentence dataset's inverse transform reconstructs expression.",
        discussion: """
            Reads the dataset's input again (checking its SHA-256), takes the same sampled cells \
            as the stored fit, and writes OUTPUT/report.html: one self-contained page (inline \
            SVG, no network) with the density of expression against log rank and the fitted \
            line, reconstructed against actual expression, the metrics, and per-group curves \
            when the dataset was fitted with --fit-by.

            Example:
              c2s report transform pbmc-sentences -o pbmc-report
            """)

    @Argument(help: "A sentence dataset folder with a fitted inverse transform.")
    var dataset: String

    @Option(name: .shortAndLong, help: "Output folder (created if missing); the page is report.html inside it.")
    var output: String

    @Option(help: "Where the input file is now, if it has moved since conversion.")
    var input: String?

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        try CLIErrors.run {
            let bar = ProgressBar(quiet: quiet)
            let path = try InverseTransformReportWriting.run(folder: dataset, input: input, output: output,
                                                             progress: { bar.update("reading", $0, $1) })
            bar.finish()
            if !quiet { printError("wrote \(path)") }
        }
    }
}
