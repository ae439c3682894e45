import ArgumentParser
import Foundation
import SingleCell

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a simulated, labelled count matrix as .h5ad.",
        discussion: """
            Negative binomial counts for PBMC-like cell types (CD4 T, CD8 T, B, NK, CD14 Mono, \
            FCGR3A Mono, then Type7, ...), each with its own marker genes, two batches, 13 \
            mitochondrial genes and about 3 % damaged cells. obs has 'cell_type' and 'batch'. \
            The same seed gives the same file. Memory stays flat for any number of cells.
            """)

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The .h5ad file to write.", valueName: "file"))
    var output: String

    @Option(help: "Number of cells.")
    var cells: Int = 2000

    @Option(help: "Number of genes.")
    var genes: Int = 2000

    @Option(name: .customLong("cell-types"), help: "Number of cell types.")
    var cellTypes: Int = 6

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    @Flag(name: .shortAndLong, help: "Print nothing unless there is an error.")
    var quiet = false

    var parameters: CountSimulator.Parameters {
        CountSimulator.Parameters(cells: cells, genes: genes, cellTypes: cellTypes, seed: seed)
    }

    func validate() throws {
        if let problem = parameters.problems.first {
            throw ValidationError(problem.prefix(1).uppercased() + problem.dropFirst() + ".")
        }
        if output.isEmpty { throw ValidationError("The output path is empty.") }
    }

    func run() throws {
        try CLIErrors.run {
            // A file error like every other command's (one line naming the file), not a usage error.
            if !overwrite && FileManager.default.fileExists(atPath: output) {
                throw FileError(output, "already exists; pass --overwrite to replace it")
            }
            try simulate()
        }
    }

    private func simulate() throws {
        let start = Date()
        let simulator = CountSimulator(parameters)
        let showProgress = !quiet && isatty(2) != 0
        var lastShown = -1
        let stored = try simulator.write(to: output, progress: showProgress ? { done in
            let percent = done * 100 / max(1, simulator.parameters.cells)
            if percent != lastShown {
                lastShown = percent
                FileHandle.standardError.write(Data("\rsimulating: \(percent)%".utf8))
            }
        } : nil)
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        guard !quiet else { return }
        let seconds = Date().timeIntervalSince(start)
        let size = ((try? FileManager.default.attributesOfItem(atPath: output))?[.size] as? NSNumber)?.int64Value ?? 0
        let line = "simulated \(cells) cells x \(genes) genes, \(cellTypes) cell types, "
            + "\(stored) non-zero counts -> \(output) (\(Self.formatBytes(size))) in \(String(format: "%.1f", seconds)) s\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func formatBytes(_ n: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n), u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }
}
