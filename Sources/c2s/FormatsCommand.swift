import ArgumentParser
import Prompts

/// `c2s formats`: the prompt formats c2s can write, its own and the published checkpoints'.
struct FormatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "List the prompt formats (--prompt-format): c2s's own and the published C2S checkpoints'.",
        discussion: """
            A published checkpoint answers well only in the exact format it was trained on. The \
            task commands pick the format the model folder names (c2s.json's prompt_format, or a \
            C2S checkpoint's name in config.json's _name_or_path or the folder's path); \
            --prompt-format overrides it. Give a format's name to see its templates.
            """)

    @Argument(help: "A format to show in full (its templates and rules).")
    var name: String?

    func run() throws {
        try CLIErrors.run {
            guard let name else {
                for p in PromptProfiles.all {
                    print("\(p.name)\t\(p.summary)")
                }
                return
            }
            let p = try PromptProfiles.named(name)
            print("\(p.name): \(p.summary)")
            print("source: \(p.source)")
            if !p.checkpointNames.isEmpty { print("detected from names containing: \(p.checkpointNames.joined(separator: ", "))") }
            print("num_genes: \(p.style.geneCount == .requested ? "the number asked for (--top-k / --top-genes), even for shorter cells" : "the genes really shown")")
            print("several cells: \(p.style.cellBlock == .reference ? "\"Cell i:\\n<sentence>.\\n\" per cell" : "one line \"Cell i: <sentence>\" per cell")")
            print("templates filled: \(p.style.verbatim ? "verbatim (Python str.format)" : "tidy (no doubled periods, trimmed)")")
            print("answer joined to the input by: \(p.separator.map { $0.isEmpty ? "nothing (input and response tokenized apart)" : "\"\($0)\"" } ?? "the model's separator (c2s.json, default one space)")")
            if let g = p.advisedGenes { print("advised genes per cell: at least \(g)") }
            if p.responsesEndWithPeriod || !p.answerNoise.isEmpty {
                print("answers cleaned of: \((p.answerNoise + (p.responsesEndWithPeriod ? ["the trailing \".\""] : [])).joined(separator: ", "))")
            }
            for task in p.tasks {
                print("\ntask \(task.name) (\(task.kind.rawValue)): \(task.description)")
                for (i, t) in task.inputTemplates.enumerated() { print("  input \(i + 1): \(String(reflecting: t.text))") }
                print("  response: \(String(reflecting: task.responseTemplate.text))")
            }
        }
    }
}
