import Prompts
import SingleCell

/// One task's model input with one fixed template: inference renders every cell with the same
/// wording, so that results do not depend on a random template choice (the reference draws one
/// per cell). The default is the task's first template.
public struct TaskPrompt: Sendable {
    public let task: TaskDefinition
    /// 0-based index into `task.inputTemplates`.
    public let templateIndex: Int

    public var template: PromptTemplate { task.inputTemplates[templateIndex] }

    /// The task called `name` among `userTasks` (from a task file) and the built-in tasks, with
    /// template `template` (1-based, as users count). Errors name the known tasks, or the range
    /// of templates.
    public init(task name: String, kind: TaskKind, template: Int = 1, userTasks: [TaskDefinition] = []) throws {
        guard let task = userTasks.first(where: { $0.name == name }) ?? BuiltinTasks.named(name) else {
            let known = (BuiltinTasks.all + userTasks).filter { $0.kind == kind }.map(\.name)
            throw DataError("unknown task '\(name)'; \(kind.rawValue) tasks: \(known.joined(separator: ", "))")
        }
        guard task.kind == kind else {
            throw DataError("task '\(name)' is a \(task.kind.rawValue) task; this command needs a \(kind.rawValue) task")
        }
        guard (1...task.inputTemplates.count).contains(template) else {
            throw DataError("task '\(name)' has \(task.inputTemplates.count) input templates; choose one of 1...\(task.inputTemplates.count), not \(template)")
        }
        self.task = task
        templateIndex = template - 1
    }

    /// The model input for these placeholder values (see `PromptValues`).
    public func render(_ values: (String) -> String?) throws -> String {
        try template.render(values)
    }
}
