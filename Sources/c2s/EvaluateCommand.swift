import ArgumentParser
import Evaluation
import Foundation
import SingleCell

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure predicted cell types, generated cells and predicted perturbations against real data; map cells by UMAP.",
        discussion: """
            Each metrics subcommand writes its metrics as JSON (-o FILE, written to a temporary \
            name and renamed into place; standard output without -o) and prints a short summary \
            ('umap' writes coordinates as CSV). The \
            definitions and settings are in the README ('c2s evaluate').
            """,
        subcommands: [EvaluateAnnotationCommand.self, EvaluateGenerationCommand.self, EvaluatePerturbationCommand.self, EvaluateUMAPCommand.self])
}

/// Where a subcommand's JSON goes.
struct MetricsOutputOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Metrics JSON file (default: standard output).")
    var output: String?

    @Flag(name: .shortAndLong, help: "Print no summary.")
    var quiet = false

    func write<T: Encodable>(_ value: T) throws {
        if let output {
            try MetricsFile.write(value, to: output)
        } else {
            FileHandle.standardOutput.write(try MetricsFile.encode(value))
        }
    }
}

/// "5,10,25" -> [5, 10, 25] for list options.
struct IntegerList: ExpressibleByArgument {
    var values: [Int]
    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 1 }) else { return nil }
        values = parts.map { $0! }
    }
}

/// Numbers formatted for the summaries.
enum SummaryFormat {
    static func fraction(_ v: Double) -> String { v.isFinite ? String(format: "%.3f", v) : "n/a" }
    static func percent(_ v: Double) -> String { v.isFinite ? String(format: "%.1f%%", v * 100) : "n/a" }
}
