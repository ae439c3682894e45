import Prompts
import SingleCell

extension PromptProfile {
    /// The task called `name`: a task file's (`userTasks`) first, then this profile's. The error
    /// names the tasks there are, and for a checkpoint's profile says how to get c2s's own.
    public func task(_ name: String, userTasks: [TaskDefinition] = []) throws -> TaskDefinition {
        if let task = userTasks.first(where: { $0.name == name }) ?? task(named: name) { return task }
        let known = (tasks + userTasks).map(\.name)
        if self.name != PromptProfiles.c2s.name, PromptProfiles.c2s.task(named: name) != nil {
            throw DataError("the \(self.name) prompt format has no '\(name)' prompt (its tasks: \(known.joined(separator: ", "))); use --prompt-format c2s for c2s's own, or a --task-file")
        }
        throw DataError("unknown task '\(name)'; tasks: \(known.joined(separator: ", "))")
    }
}
