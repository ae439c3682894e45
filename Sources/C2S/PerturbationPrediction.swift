import CellSentences
import Foundation
import Prompts
import SingleCell

/// What a perturbation run needs besides the model.
public struct PerturbationPredictionSettings: Sendable {
    public var task: String
    public var prompt: TaskPrompt
    /// The perturbation's name, as in the training prompts.
    public var perturbation: String
    /// The control cells.
    public var input: CellTaskInput
    /// Each control cell's cell type (the prompt's `{label}`); nil: the training label column,
    /// else `cell_type`.
    public var labelColumn: String?
    public var options = SentenceGenerationOptions()
    public var constrained = true
    public var organism = "Homo sapiens"
    /// Genes of each control cell shown in the prompt.
    public var topGenes = 200
    /// Predicted cells per control cell (sampled decoding when more than one): the mean of
    /// several draws estimates the perturbed population, where one greedy answer gives only
    /// the model's most likely cell (docs/SCIENCE.md §6).
    public var samplesPerCell = 1
    public var output: String
    public var chunks = ChunkSettings()
    /// What of the model, prompt and decoding changes the results (checked on resume).
    public var identity: [String: String] = [:]

    public init(task: String, prompt: TaskPrompt, perturbation: String, input: CellTaskInput, output: String) {
        self.task = task
        self.prompt = prompt
        self.perturbation = perturbation
        self.input = input
        self.output = output
    }
}

/// How a perturbation run went.
public struct PerturbationPredictionResult: Sendable {
    public var cells: Int
    public var chunksComputed: Int
    public var chunksReused: Int
    public var summary: ReconstructionSummary
    public var seconds: Double
}

/// Predicting each control cell's perturbed sentence and its expression: the workflow behind
/// `c2s predict-perturbation`. Saved chunk by chunk, so an interrupted run resumes.
public enum PerturbationPrediction {
    public typealias Event = CellTaskEvent

    public static func run(model: C2SModel, settings s: PerturbationPredictionSettings,
                           onEvent: @escaping (Event) -> Void = { _ in }) throws -> PerturbationPredictionResult {
        let started = Date()
        let dataset = try model.requireSentences(for: "predicting perturbed cells (constraining genes and reconstructing expression)")
        _ = try dataset.model()
        if let w = model.taskWarning(s.task) { onEvent(.warning(w)) }
        let column = s.labelColumn ?? model.metadata?.labelColumn ?? "cell_type"
        let genes = try GeneWords.vocabularyConstraint(model: model, dataset: dataset, constrained: s.constrained) { onEvent(.warning($0)) }
        let generator = try SentenceGenerator(model: model, genes: genes, options: s.options)

        guard s.samplesPerCell >= 1 else { throw DataError("--samples-per-cell must be at least 1, not \(s.samplesPerCell)") }
        guard s.samplesPerCell == 1 || s.options.sampling.sample else {
            throw DataError("--samples-per-cell \(s.samplesPerCell) needs sampled decoding (--sample): greedy search gives the same answer every time")
        }
        let draws = s.samplesPerCell
        return try CellTaskRun.run(model: model, input: s.input, topGenes: s.topGenes, output: s.output, identity: s.identity,
                                   adding: ["command": "predict-perturbation", "task": s.task, "perturbation": s.perturbation, "label_column": column,
                                            "chunk_size": String(s.chunks.chunkSize), "samples_per_cell": String(draws)],
                                   chunks: s.chunks, onEvent: onEvent) { store, cells, selected in
            var missingLabel: String?
            if s.prompt.template.placeholders.contains("label") && !cells.table.fieldNames.contains(column) {
                // A column asked for by name, or recorded by training, must be there; otherwise
                // neither had cell types, and the prompts say so as the training prompts did.
                guard s.labelColumn == nil && model.metadata?.labelColumn == nil else {
                    throw DataError("the prompt names each cell's cell type, but the input has no column '\(column)'; choose one with --label-column (columns: \(cells.table.fieldNames.joined(separator: ", ")))")
                }
                missingLabel = PromptValues.unknownLabel
                onEvent(.note("the input has no cell type column '\(column)': the prompts say the cell type is '\(PromptValues.unknownLabel)'"))
            }
            let predictor = PerturbationPredictor(generator: generator, prompt: s.prompt, perturbation: s.perturbation, labelColumn: column,
                                                  topGenes: s.topGenes, organism: s.organism, missingLabel: missingLabel)
            // Item j is draw j % draws of control cell j / draws; its number j is its random stream.
            let chunks = s.chunks.run(store, count: selected.count * draws)
            let done = try chunks.run(progress: { onEvent(.progress(phase: "predicting", done: $0, total: $1)) }) { range in
                let batch = range.map { cells.table.cells[selected[$0 / draws]] }
                return try zip(range, zip(batch, predictor.predict(batch, firstIndex: range.lowerBound))).map { j, pair in
                    let (cell, sentence) = pair
                    var fields = cells.table.fieldNames.compactMap { f in cell.fields[f].map { (f, $0) } } + [("perturbation", s.perturbation)]
                    guard draws > 1 else { return GeneratedCellsWriter.line(name: cell.name, fields: fields, sentence: sentence) }
                    fields += [("control_cell", cell.name), ("draw", String(j % draws + 1))]
                    return GeneratedCellsWriter.line(name: "\(cell.name)-\(j % draws + 1)", fields: fields, sentence: sentence)
                }
            }
            let summary = try GeneratedCellsWriter.write(chunks, dataset: dataset, output: s.output)
            store.remove()
            return PerturbationPredictionResult(cells: selected.count * draws, chunksComputed: done.computed, chunksReused: done.reused,
                                                summary: summary, seconds: Date().timeIntervalSince(started))
        }
    }
}
