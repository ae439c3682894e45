import CellSentences
import Foundation
import SingleCell

/// What a per-cell workflow reports while it runs.
public enum CellTaskEvent: Sendable {
    /// Something the user should know (e.g. a poor gene overlap); the run goes on.
    case warning(String)
    /// A fact about how the prompts are made (e.g. no cell type column).
    case note(String)
    /// Progress of a phase: reading or converting the input, then the task itself.
    case progress(phase: String, done: Int, total: Int)
}

/// The frame every per-cell workflow runs in (annotate, embed, predict-perturbation,
/// predict-tissue / interpret): the output's resumable chunk store, keyed by what changes the
/// results, and the input opened and selected inside it, its warnings passed on. A failure
/// before any chunk is saved leaves nothing behind.
enum CellTaskRun {
    /// `identity` (the model's and the caller's settings) with `run`'s own settings added (an
    /// entry of `identity` wins) keys the chunk store; `onEvent` hears the input's warnings and
    /// the progress of opening it.
    static func run<T>(model: C2SModel, input: CellTaskInput, topGenes: Int, genesRead: Int? = nil, output: String, identity: [String: String],
                       adding run: [String: String], chunks: ChunkSettings, onEvent: @escaping (CellTaskEvent) -> Void,
                       _ body: (_ store: ChunkStore, _ cells: CellInput, _ selected: [Int]) throws -> T) throws -> T {
        try AtomicOutput.checkNotAnInput(output, inputs: [input.path] + [input.splitsFile].compactMap { $0 })
        let settings = identity.merging(run) { a, _ in a }.merging(input.identity) { a, _ in a }
        let store = try ChunkStore(output: output, settings: settings, resume: chunks.resume, overwrite: chunks.overwrite)
        return try store.cleaningUp {
            let (cells, selected, warnings) = try input.open(model: model, topGenes: topGenes, genesRead: genesRead, workFolder: store.folder,
                                                             progress: { onEvent(.progress(phase: $0, done: $1, total: $2)) })
            warnings.forEach { onEvent(.warning($0)) }
            return try body(store, cells, selected)
        }
    }
}

extension Annotator {
    /// An annotator for a label task: constrained mode chooses among `givenLabels`, else the
    /// labels the model learned for `task`; also the model's warning when it was not trained
    /// on the task, passed to `onEvent`. Returns the options with their candidate labels filled in.
    static func forTask(model: C2SModel, task: String, prompt: TaskPrompt, options: AnnotationOptions, givenLabels: [String]?,
                        onEvent: (CellTaskEvent) -> Void) throws -> (annotator: Annotator, options: AnnotationOptions) {
        var o = options
        if o.mode == .constrained { o.labels = try model.requireLabels(task: task, given: givenLabels) }
        let annotator = try Annotator(model: model, prompt: prompt, options: o)
        if let w = model.taskWarning(task) { onEvent(.warning(w)) }
        return (annotator, o)
    }
}

extension AnnotationOptions {
    /// What changes an annotator's answers, as a run's identity records it.
    var identity: [String: String] {
        var identity = ["mode": mode.rawValue, "labels": labels.joined(separator: "\n"), "max_new_tokens": String(maxNewTokens)]
        // Only when used, so that runs interrupted before the setting existed still resume.
        if noisyCopies > 0 {
            identity["noisy_copies"] = String(noisyCopies)
            identity["copy_noise"] = String(copyNoise.sigma)
            identity["copy_seed"] = String(copySeed)
        }
        return identity
    }
}

extension GeneWords {
    /// The gene constraint of generated sentences (the training vocabulary's genes, each once),
    /// or nil when unconstrained; genes that tokenise like an earlier one are reported.
    static func vocabularyConstraint(model: C2SModel, dataset: SentenceDataset, constrained: Bool, warning: (String) -> Void) throws -> GeneWords? {
        guard constrained else { return nil }
        let words = try GeneWords(genes: dataset.genes, model: model)
        if !words.duplicates.isEmpty {
            warning("\(words.duplicates.count) gene(s) tokenise like an earlier gene and cannot be generated: \(words.duplicates.prefix(5).joined(separator: ", "))")
        }
        return words
    }
}
