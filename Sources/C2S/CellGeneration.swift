import CellSentences
import Foundation
import SingleCell

/// What a generation run makes: `count` cells per condition (none: unconditional), with the
/// task's prompt, the decoding options, and where they go.
public struct CellGenerationSettings: Sendable {
    /// `(column, value)` conditions, e.g. `("cell_type", "B")`; empty for unconditional cells.
    public var conditions: [(column: String, value: String)]
    /// Cells per condition.
    public var count: Int
    /// The prompt of ``CellGeneration/task(for:)``.
    public var prompt: TaskPrompt
    /// The unconditional task's prompt, which classifier-free guidance compares a condition's
    /// prompt with (needed when `options.guidance` is not 1).
    public var unconditionalPrompt: TaskPrompt?
    public var options = SentenceGenerationOptions()
    /// Constrain sentences to the training vocabulary's genes, each once (else any text).
    public var constrained = true
    public var organism = "Homo sapiens"
    /// The `.h5ad` of sentences and reconstructed expression.
    public var output: String
    public var chunks = ChunkSettings()
    /// What of the model, prompt and decoding changes the results (checked on resume).
    public var identity: [String: String] = [:]

    public init(conditions: [(column: String, value: String)], count: Int, prompt: TaskPrompt, output: String) {
        self.conditions = conditions
        self.count = count
        self.prompt = prompt
        self.output = output
    }
}

/// How a generation run went.
public struct CellGenerationResult: Sendable {
    public var cells: Int
    public var chunksComputed: Int
    public var chunksReused: Int
    public var summary: ReconstructionSummary
    public var seconds: Double
}

/// Generating new cells, conditioned on labels or not: sentences from the model and their
/// expression through the training data's inverse transform, in one `.h5ad`; the workflow
/// behind `c2s generate-cells`. Results are saved chunk by chunk, so an interrupted run resumes.
public enum CellGeneration {
    public typealias Event = CellTaskEvent

    /// The conditions of a request: `column=value` texts (a bare value names the model's label
    /// column), or with `everyLabel` every label the model learned to generate.
    public static func conditions(model: C2SModel, given: [String], everyLabel: Bool, modelPath: String) throws -> [(column: String, value: String)] {
        let defaultColumn = model.metadata?.labelColumn ?? "cell_type"
        if everyLabel {
            // Taken as they are: a learned label may itself contain "=".
            let labels = model.metadata?.labels(for: "cell_type_generation") ?? []
            guard !labels.isEmpty else {
                throw DataError("\(modelPath): c2s.json lists no labels learned for cell_type_generation; use --condition")
            }
            return labels.map { (defaultColumn, $0) }
        }
        return try given.map { text in
            if text.contains("=") {
                let c = try CellSelection.condition(text)
                guard !c.value.isEmpty else { throw DataError("--condition \(text): the value is empty") }
                return c
            }
            return (defaultColumn, text)
        }
    }

    /// The task whose prompt generates cells under these conditions.
    public static func task(for conditions: [(column: String, value: String)]) -> String {
        conditions.isEmpty ? CellGenerator.unconditionalTask : "cell_type_generation"
    }

    public static func run(model: C2SModel, settings s: CellGenerationSettings,
                           onEvent: @escaping (Event) -> Void = { _ in }) throws -> CellGenerationResult {
        let started = Date()
        let dataset = try model.requireSentences(for: "generating cells (constraining genes and reconstructing expression)")
        _ = try dataset.model()
        let task = Self.task(for: s.conditions)
        if let w = model.taskWarning(task) { onEvent(.warning(w)) }
        let known = model.metadata?.labels(for: task) ?? []
        for c in s.conditions where !known.contains(c.value) {
            onEvent(.warning(known.isEmpty
                ? "the model's metadata lists no labels, so '\(c.value)' cannot be checked against what it learned"
                : "the model never saw '\(c.value)' in training; the values it knows: \(known.joined(separator: ", "))"))
        }
        let genes = try GeneWords.vocabularyConstraint(model: model, dataset: dataset, constrained: s.constrained) { onEvent(.warning($0)) }
        // Guided conditional requests need the unconditional prompt as well.
        let unconditional = s.conditions.isEmpty ? s.prompt : s.options.guidance != 1 ? s.unconditionalPrompt : nil
        if !s.conditions.isEmpty && s.options.guidance != 1 && unconditional == nil {
            throw DataError("guidance \(s.options.guidance) needs the unconditional task's prompt")
        }
        let generator = try CellGenerator(
            generator: try SentenceGenerator(model: model, genes: genes, options: s.options),
            conditional: s.conditions.isEmpty ? nil : s.prompt, unconditional: unconditional, organism: s.organism)
        let requests = s.conditions.isEmpty ? [CellGenerator.Request(label: nil, count: s.count)]
            : s.conditions.map { CellGenerator.Request(label: $0.value, count: s.count) }
        var fields: [[(String, String)]] = []
        for c in s.conditions.isEmpty ? [nil] : s.conditions.map(Optional.some) {
            for _ in 0..<s.count { fields.append(c.map { [($0.column, $0.value)] } ?? []) }
        }

        var identity = s.identity
        identity.merge(["command": "generate-cells", "conditions": s.conditions.map { "\($0.column)=\($0.value)" }.joined(separator: "\n"),
                        "n": String(s.count), "chunk_size": String(s.chunks.chunkSize)]) { a, _ in a }
        // Only when on, so that a run begun before the option existed can still resume.
        if s.options.guidance != 1 { identity["guidance"] = String(s.options.guidance) }
        let store = try ChunkStore(output: s.output, settings: identity, resume: s.chunks.resume, overwrite: s.chunks.overwrite)
        return try store.cleaningUp {
            let chunks = s.chunks.run(store, count: fields.count)
            let done = try chunks.run(progress: { onEvent(.progress(phase: "generating", done: $0, total: $1)) }) { range in
                try zip(range, generator.generate(requests, range: range)).map { i, sentence in
                    GeneratedCellsWriter.line(name: "generated_\(i + 1)", fields: fields[i], sentence: sentence)
                }
            }
            let summary = try GeneratedCellsWriter.write(chunks, dataset: dataset, output: s.output)
            store.remove()
            return CellGenerationResult(cells: fields.count, chunksComputed: done.computed, chunksReused: done.reused,
                                        summary: summary, seconds: Date().timeIntervalSince(started))
        }
    }
}
