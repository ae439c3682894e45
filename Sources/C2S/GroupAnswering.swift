import Foundation
import Prompts
import SingleCell

/// What a multi-cell run needs besides the model: the task (tissue prediction, natural-language
/// interpretation), how cells are grouped, the cells and where the answers go.
public struct GroupAnsweringSettings: Sendable {
    /// The command's name (`predict-tissue`, `interpret`): recorded for resuming, shown in progress.
    public var command: String
    public var task: String
    public var prompt: TaskPrompt
    public var options = AnnotationOptions()
    /// Candidate answers for constrained mode instead of the model's training labels.
    public var givenLabels: [String]?
    public var input: CellTaskInput
    /// Cells sharing these columns' values form groups, cut into groups of `groupSizes` cells.
    public var groupColumns: [String]
    public var groupSizes: ClosedRange<Int> = 3...5
    /// Seed of the cells' order within a group.
    public var groupSeed: UInt64 = 0
    /// CSV, or JSON lines when the name ends in `.jsonl`.
    public var output: String
    public var chunks = ChunkSettings()
    /// What of the model, prompt and grouping changes the results (checked on resume).
    public var identity: [String: String] = [:]

    public init(command: String, task: String, prompt: TaskPrompt, input: CellTaskInput, groupColumns: [String], output: String) {
        self.command = command
        self.task = task
        self.prompt = prompt
        self.input = input
        self.groupColumns = groupColumns
        self.output = output
    }
}

/// How a multi-cell run went.
public struct GroupAnsweringResult: Sendable {
    public var groups: Int
    public var chunksComputed: Int
    public var chunksReused: Int
    public var seconds: Double
}

/// One answer per group of cells (the tissue of a group, or a description of it): the
/// workflow behind `c2s predict-tissue` and `c2s interpret`. Saved chunk by chunk, so an
/// interrupted run resumes.
public enum GroupAnswering {
    public typealias Event = CellTaskEvent

    public static func run(model: C2SModel, settings s: GroupAnsweringSettings,
                           onEvent: @escaping (Event) -> Void = { _ in }) throws -> GroupAnsweringResult {
        let started = Date()
        let (annotator, options) = try Annotator.forTask(model: model, task: s.task, prompt: s.prompt, options: s.options,
                                                         givenLabels: s.givenLabels, onEvent: onEvent)

        return try CellTaskRun.run(model: model, input: s.input, topGenes: options.topGenes, output: s.output, identity: s.identity,
                                   adding: options.identity.merging(["command": s.command, "task": s.task, "chunk_size": String(s.chunks.chunkSize)]) { a, _ in a },
                                   chunks: s.chunks, onEvent: onEvent) { store, cells, selected in
            let found = try CellGrouping.groups(cells: cells.table.cells, indices: selected, by: s.groupColumns, sizes: s.groupSizes, seed: s.groupSeed)
            guard !found.isEmpty else {
                throw DataError("no group of at least \(s.groupSizes.lowerBound) cells sharing \(s.groupColumns.joined(separator: ", ")) among the \(selected.count) input cells")
            }
            let chunks = s.chunks.run(store, count: found.count)
            let done = try chunks.run(progress: { onEvent(.progress(phase: s.command, done: $0, total: $1)) }) { range in
                let inputs = try range.map { try annotator.modelInput(group: found[$0].members.map { cells.table.cells[$0] }) }
                return try zip(range, annotator.answer(inputs)).map { g, a in
                    var line = ResultLine()
                    line.add("group", "group_\(g + 1)")
                    line.add("label", a.label)
                    if let s = a.logLikelihood { line.add("score", s) }
                    if let p = a.probability { line.add("probability", p) }
                    if let f = a.finishReason { line.add("finish_reason", f.rawValue) }
                    return line.text
                }
            }

            var table = ResultTable(indexName: "group")
            table.index = found.indices.map { "group_\($0 + 1)" }
            for (k, column) in s.groupColumns.enumerated() { table.add(column, found.map { $0.key[k] }) }
            table.add("n_cells", found.map { String($0.members.count) })
            table.add("cell_names", found.map { $0.members.map { cells.table.cells[$0].name }.joined(separator: ";") })
            var answers: [String?] = [], scores: [Double?] = [], probabilities: [Double?] = [], reasons: [String?] = []
            try chunks.forEachChunk { lines in
                for text in lines {
                    let o = try ResultLine.parse(text, file: store.folder)
                    guard o["group"] as? String == table.index[answers.count] else {
                        throw FileError(store.folder, "a saved chunk does not match this run; start again with --overwrite")
                    }
                    answers.append(o["label"] as? String)
                    scores.append((o["score"] as? NSNumber)?.doubleValue)
                    probabilities.append((o["probability"] as? NSNumber)?.doubleValue)
                    reasons.append(o["finish_reason"] as? String)
                }
            }
            table.add(s.task == "natural_language_interpretation" ? "c2s_text" : "c2s_label", answers)
            if options.mode == .constrained {
                table.add("c2s_score", numbers: scores)
                table.add("c2s_probability", numbers: probabilities)
            } else {
                table.add("c2s_finish_reason", reasons)
            }
            if s.output.lowercased().hasSuffix(".jsonl") { try writeJSONLines(table, to: s.output) } else { try table.writeCSV(s.output, overwrite: true) }
            store.remove()
            return GroupAnsweringResult(groups: found.count, chunksComputed: done.computed, chunksReused: done.reused,
                                        seconds: Date().timeIntervalSince(started))
        }
    }

    static func writeJSONLines(_ table: ResultTable, to output: String) throws {
        let out = try LineOutput(path: output, overwrite: true)
        for r in table.index.indices {
            var line = ResultLine()
            line.add(table.indexName, table.index[r])
            for c in table.columns { if let v = c.values[r] { line.add(c.name, v) } }
            try out.write(line.text)
        }
        try out.commit()
    }
}
