import ArgumentParser

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a count matrix into a cell sentence dataset.")
    func run() throws { throw ValidationError("not built yet") }
}
