import Foundation
import SingleCell

/// What an annotation run needs besides the model: the task and its prompt, the decoding
/// options, the cells, and where the results go.
public struct CellAnnotationSettings: Sendable {
    /// The label task (e.g. `cell_type_prediction`); constrained mode chooses among its
    /// training labels unless `givenLabels` are set.
    public var task: String
    public var prompt: TaskPrompt
    public var options = AnnotationOptions()
    /// Candidate labels for constrained mode instead of the model's training labels.
    public var givenLabels: [String]?
    public var input: CellTaskInput
    /// The `.h5ad` results (obs: the input's columns, then `c2s_label` and its scores).
    public var output: String
    /// The same table as CSV (default: the output's name with `.csv`).
    public var csv: String?
    /// An input column to compare the predicted labels with (the summary's accuracy).
    public var compareColumn: String?
    public var chunks = ChunkSettings()
    /// What of the model and prompt changes the results (checked when a run resumes), e.g.
    /// the model's identity and template.
    public var modelIdentity: [String: String] = [:]

    public init(task: String, prompt: TaskPrompt, input: CellTaskInput, output: String) {
        self.task = task
        self.prompt = prompt
        self.input = input
        self.output = output
    }

    /// The CSV path the run writes.
    public var csvPath: String { csv ?? ((output as NSString).deletingPathExtension + ".csv") }
}

/// How an annotation run went.
public struct CellAnnotationResult: Sendable {
    public var cells: Int
    /// Chunks computed in this run, and reused from an interrupted one.
    public var chunksComputed: Int
    public var chunksReused: Int
    public var meanPromptTokens: Double
    /// Predicted labels and how many cells got each, most frequent first (ties by label).
    public var labelCounts: [(label: String, cells: Int)]
    /// With a compare column: cells with a value there, and how many the prediction matched.
    public var compared: (column: String, cells: Int, correct: Int)?
    public var seconds: Double
}

/// Predicting a label (cell type, or any label the model learned) for every selected cell,
/// constrained to the training labels or free: the workflow behind `c2s annotate`. Results are
/// saved chunk by chunk, so an interrupted run resumes (`chunks.resume`), and the outputs are
/// written only when every cell has its answer.
public enum CellAnnotation {
    public typealias Event = CellTaskEvent

    public static func run(model: C2SModel, settings s: CellAnnotationSettings,
                           onEvent: @escaping (Event) -> Void = { _ in }) throws -> CellAnnotationResult {
        let started = Date()
        let (annotator, options) = try Annotator.forTask(model: model, task: s.task, prompt: s.prompt, options: s.options,
                                                         givenLabels: s.givenLabels, onEvent: onEvent)
        let csvPath = s.csvPath
        let same = { (a: String, b: String) in URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path }
        if same(csvPath, s.input.path) || same(csvPath, s.output) {
            throw FileError(csvPath, "the CSV output would replace \(same(csvPath, s.input.path) ? "the input" : "the .h5ad output"); name it with --csv PATH")
        }
        if FileManager.default.fileExists(atPath: csvPath) && !s.chunks.overwrite {
            throw FileError(csvPath, "already exists; pass --overwrite to replace it")
        }

        // Noisy copies can show genes from below the first k: read those too.
        let genesRead = options.noisyCopies > 0 ? options.copyNoise.depth(showing: options.topGenes) : options.topGenes
        return try CellTaskRun.run(model: model, input: s.input, topGenes: options.topGenes, genesRead: genesRead, output: s.output, identity: s.modelIdentity,
                                   adding: options.identity.merging(["command": "annotate", "task": s.task, "chunk_size": String(s.chunks.chunkSize)]) { a, _ in a },
                                   chunks: s.chunks, onEvent: onEvent) { store, cells, selected in
            if let c = s.compareColumn, !cells.table.fieldNames.contains(c) {
                throw DataError("--compare-column: the input has no column '\(c)'; columns: \(cells.table.fieldNames.joined(separator: ", "))")
            }
            let chunks = s.chunks.run(store, count: selected.count)
            let done = try chunks.run(progress: { onEvent(.progress(phase: "annotating", done: $0, total: $1)) }) { range in
                let batch = range.map { cells.table.cells[selected[$0]] }
                return try zip(batch, annotator.annotate(batch)).map { cell, a in
                    var line = ResultLine()
                    line.add("cell_name", cell.name)
                    line.add("label", a.label)
                    if let s = a.logLikelihood { line.add("score", s) }
                    if let p = a.probability { line.add("probability", p) }
                    if !a.scores.isEmpty { line.add("scores", a.scores) }
                    if let f = a.finishReason { line.add("finish_reason", f.rawValue); line.add("tokens", a.tokens) }
                    line.add("prompt_tokens", a.promptTokens)
                    return line.text
                }
            }

            // Results table: the input's columns, then the predictions.
            var table = ResultTable(cells: cells.table, rows: selected)
            var predicted: [String?] = [], scores: [Double?] = [], probabilities: [Double?] = []
            var perLabel = [[Double?]](repeating: [], count: options.labels.count)
            var reasons: [String?] = [], tokens: [String?] = []
            var promptTokens = 0
            var row = 0
            try chunks.forEachChunk { lines in
                for text in lines {
                    let o = try ResultLine.parse(text, file: store.folder)
                    guard o["cell_name"] as? String == table.index[row] else {
                        throw FileError(store.folder, "a saved chunk is for other cells than this run's; start again with --overwrite")
                    }
                    predicted.append(o["label"] as? String)
                    scores.append((o["score"] as? NSNumber)?.doubleValue)
                    probabilities.append((o["probability"] as? NSNumber)?.doubleValue)
                    let s = (o["scores"] as? [NSNumber])?.map(\.doubleValue) ?? []
                    for k in perLabel.indices { perLabel[k].append(k < s.count ? s[k] : nil) }
                    reasons.append(o["finish_reason"] as? String)
                    tokens.append((o["tokens"] as? NSNumber).map { String($0.intValue) })
                    promptTokens += (o["prompt_tokens"] as? NSNumber)?.intValue ?? 0
                    row += 1
                }
            }
            table.add("c2s_label", predicted)
            if options.mode == .constrained {
                table.add("c2s_score", numbers: scores)
                table.add("c2s_probability", numbers: probabilities)
                for (k, label) in options.labels.enumerated() { table.add("c2s_score_" + label, numbers: perLabel[k]) }
            } else {
                table.add("c2s_tokens", tokens)
                table.add("c2s_finish_reason", reasons)
                let known = s.givenLabels ?? model.metadata?.labels(for: s.task) ?? []
                if !known.isEmpty {
                    let set = Set(known)
                    table.add("c2s_known_label", predicted.map { $0.map { set.contains($0) ? "true" : "false" } })
                }
            }
            try table.writeH5AD(s.output)
            try table.writeCSV(csvPath, overwrite: true)
            store.remove()

            let counts = Dictionary(grouping: predicted.compactMap { $0 }, by: { $0 }).mapValues(\.count)
            var compared: (column: String, cells: Int, correct: Int)?
            if let c = s.compareColumn {
                let pairs = zip(selected.map { cells.table.cells[$0].fields[c] }, predicted).filter { $0.0 != nil }
                compared = (c, pairs.count, pairs.filter { $0.0 == $0.1 }.count)
            }
            return CellAnnotationResult(
                cells: selected.count, chunksComputed: done.computed, chunksReused: done.reused,
                meanPromptTokens: Double(promptTokens) / Double(max(1, selected.count)),
                labelCounts: counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) },
                compared: compared, seconds: Date().timeIntervalSince(started))
        }
    }
}
