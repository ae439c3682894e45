import ArgumentParser

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a simulated, labelled count matrix as .h5ad.")
    func run() throws { throw ValidationError("not built yet") }
}
