import ArgumentParser
import Mechanics
import SingleCell

@main
struct C2SCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "c2s",
        abstract: "Cell2Sentence in Swift: single-cell expression as cell sentences for language models.",
        discussion: """
            Turn a count matrix (h5ad, 10x, Matrix Market, CSV) into a cell sentence dataset with \
            'c2s convert', or make a labelled test matrix with 'c2s simulate'.
            """,
        version: C2SVersion.string,
        subcommands: [ConvertCommand.self, FitCommand.self, ReconstructCommand.self, PromptsCommand.self, CorpusCommand.self, FormatsCommand.self, EvaluateCommand.self, ReportCommand.self, InspectCommand.self, SimulateCommand.self, LMCommand.self, TokenizerCommand.self, TrainCommand.self,
                      AnnotateCommand.self, CombineAnnotationsCommand.self, SubsetGenesCommand.self, GenerateCellsCommand.self, EmbedCommand.self, PredictPerturbationCommand.self,
                      PredictTissueCommand.self, InterpretCommand.self, CheckHDF5Command.self])

    static func main() {
        MemorySettings.apply()
        StandardOutput.reportWriteErrors()
        HDF5Probe.isolatedCheck = { try IsolatedHDF5Check.run($0) }
        do {
            var command = try parseAsRoot()
            try command.run()
            try StandardOutput.finish()
        } catch {
            exit(withError: error)
        }
    }
}
