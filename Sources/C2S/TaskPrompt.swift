import Prompts
import SingleCell

/// One task's model input with one fixed template: inference renders every cell with the same
/// wording, so that results do not depend on a random template choice (the reference draws one
/// per cell). The default is the task's first template, in the profile's format.
public struct TaskPrompt: Sendable {
    public let task: TaskDefinition
    /// 0-based index into `task.inputTemplates`.
    public let templateIndex: Int
    /// Whose prompt format: c2s's own or a published checkpoint's.
    public let profile: PromptProfile

    public var template: PromptTemplate { task.inputTemplates[templateIndex] }
    /// How values are laid out and templates filled.
    public var style: PromptStyle { profile.style }

    /// The task called `name` among `userTasks` (from a task file) and `profile`'s tasks, with
    /// template `template` (1-based, as users count). Errors name the known tasks, or the range
    /// of templates.
    public init(task name: String, kind: TaskKind, template: Int = 1, userTasks: [TaskDefinition] = [],
                profile: PromptProfile = PromptProfiles.c2s) throws {
        let task = try profile.task(name, userTasks: userTasks)
        guard task.kind == kind else {
            throw DataError("task '\(name)' is a \(task.kind.rawValue) task; this command needs a \(kind.rawValue) task")
        }
        guard (1...task.inputTemplates.count).contains(template) else {
            throw DataError("task '\(name)' has \(task.inputTemplates.count) input template(s) in the \(profile.name) prompt format; choose one of 1...\(task.inputTemplates.count), not \(template)")
        }
        self.task = task
        self.profile = profile
        templateIndex = template - 1
    }

    /// The model input for these placeholder values (see `PromptValues`).
    public func render(_ values: (String) -> String?) throws -> String {
        try style.render(template, values)
    }

    /// What a model scores after the input for the answer `label` (constrained annotation):
    /// the separator and the response as the profile writes it ("B cell." for the reference's
    /// "{cell_type}."); `modelSeparator` (c2s.json's) is used when the profile has none.
    public func scoredAnswer(_ label: String, modelSeparator: String) throws -> String {
        let separator = profile.separator ?? modelSeparator
        guard profile.style.verbatim, task.responseTemplate.placeholders == ["label"] else { return separator + label }
        return separator + (try style.render(task.responseTemplate) { $0 == "label" ? label : nil })
    }
}
