import Foundation

/// Everything a checkpoint expects of its prompts: a published C2S model answers well only when
/// it gets, to the byte, the format it was trained on (a drifted prompt gets "Cell sentence: ..."
/// back instead of a cell type). Selected with `--prompt-format NAME`, or found from the model
/// folder (`PromptProfiles.detect`).
public struct PromptProfile: Sendable {
    /// The name users give (`c2s formats` lists them).
    public let name: String
    /// One line saying which models it is for.
    public let summary: String
    /// Where its text comes from, to check it against.
    public let source: String
    /// Lower-cased fragments of a checkpoint's name or path (`config.json`'s `_name_or_path`, the
    /// folder) that identify the models it is for.
    public let checkpointNames: [String]
    public let style: PromptStyle
    /// The tasks it defines, under c2s's task names, each with the checkpoint's wording.
    public let tasks: [TaskDefinition]
    /// What joins model input and response when an answer is scored; nil: the model's own
    /// (`c2s.json`, default one space). The reference tokenizes input and response apart and
    /// joins the token lists, i.e. nothing between them.
    public let separator: String?
    /// The fewest genes per cell its model card advises; fewer draws a warning.
    public let advisedGenes: Int?
    /// Text a model may emit around its answer that is not part of it (e.g. Gemma's
    /// `<ctrl100>`), removed from free answers before the trailing ".".
    public let answerNoise: [String]
    /// Whether responses end with "." (the reference's "{cell_type}."), removed from answers.
    public let responsesEndWithPeriod: Bool

    public init(name: String, summary: String, source: String, checkpointNames: [String], style: PromptStyle,
                tasks: [TaskDefinition], separator: String?, advisedGenes: Int?, answerNoise: [String], responsesEndWithPeriod: Bool) {
        self.name = name
        self.summary = summary
        self.source = source
        self.checkpointNames = checkpointNames
        self.style = style
        self.tasks = tasks
        self.separator = separator
        self.advisedGenes = advisedGenes
        self.answerNoise = answerNoise
        self.responsesEndWithPeriod = responsesEndWithPeriod
    }

    /// Its task called `name`, if it has one.
    public func task(named name: String) -> TaskDefinition? { tasks.first { $0.name == name } }

    /// A generated answer as the user should see it: without the model's noise, surrounding
    /// whitespace, and (for profiles whose responses end with ".") the trailing period.
    public func cleanAnswer(_ text: String) -> String {
        var s = text
        for noise in answerNoise { s = s.replacingOccurrences(of: noise, with: "") }
        s = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if responsesEndWithPeriod, s.hasSuffix(".") { s = String(s.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        return s
    }

    /// Warnings for prompts that leave this profile's advice (fewer genes than its model card
    /// advises).
    public func genesWarning(_ genes: Int) -> String? {
        guard let advised = advisedGenes, genes < advised else { return nil }
        return "the \(name) prompt format advises at least \(advised) genes per cell (its model cards), but prompts show \(genes); answers may be worse"
    }
}
