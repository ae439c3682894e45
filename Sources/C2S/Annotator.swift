import CellSentences
import Foundation
import Prompts
import SingleCell
import Transformer

/// How `Annotator` chooses an answer.
public enum AnnotationMode: String, Sendable, CaseIterable {
    /// Greedy generation, as the reference does: the answer is whatever text the model writes.
    case free
    /// The label with the highest likelihood among known labels (each scored as
    /// separator + label + end of sequence, as the model saw responses in training).
    case constrained
}

/// Settings of an annotation (cell type prediction, or any single-cell label task).
public struct AnnotationOptions: Sendable {
    public var mode = AnnotationMode.constrained
    /// Candidates of constrained mode.
    public var labels: [String] = []
    /// Longest free answer, in tokens.
    public var maxNewTokens = 32
    /// Genes of each cell shown in the prompt.
    public var topGenes = 200
    public var organism = "Homo sapiens"
    /// Prompts run through the model together.
    public var batchSize = 16
    public var maxTokensPerPass = 8192
    /// Constrained mode: also score this many copies of each cell with `copyNoise` on its gene
    /// order, and average every label's log-likelihood over the cell and its copies, so the
    /// model reads a cell as several plausible measurements instead of one (for models trained
    /// with rank noise; docs/SCIENCE.md §4e). 0: the cell as measured only.
    public var noisyCopies = 0
    public var copyNoise = RankNoise.none
    /// Seed of the copies' noise (each cell's copies also depend on its name).
    public var copySeed: UInt64 = 0

    public init() {}
}

/// One cell's answer.
public struct Annotation: Sendable, Equatable {
    public var label: String
    /// Constrained mode: natural-log likelihood of the chosen label (with its end token), its
    /// share of probability among the candidates, and every candidate's log-likelihood.
    public var logLikelihood: Double?
    public var probability: Double?
    public var scores: [Double] = []
    /// Tokens of the prompt.
    public var promptTokens = 0
    /// Free mode: tokens generated and why generation stopped.
    public var tokens = 0
    public var finishReason: FinishReason?
}

/// Labels cells (or groups of cells) with a model: builds each prompt with a fixed template,
/// then generates (free) or scores the known labels (constrained), a batch at a time.
public struct Annotator: Sendable {
    public let model: C2SModel
    public let prompt: TaskPrompt
    public let options: AnnotationOptions
    /// Token ids of each candidate: separator + the label as the profile's response writes it, then the end token.
    let candidates: [[Int32]]

    public init(model: C2SModel, prompt: TaskPrompt, options: AnnotationOptions) throws {
        self.model = model
        self.prompt = prompt
        self.options = options
        guard options.batchSize >= 1, options.maxNewTokens >= 1 else { throw DataError("batch size and new tokens must be at least 1") }
        if options.mode == .constrained {
            guard !options.labels.isEmpty else { throw DataError("constrained annotation needs at least one label") }
            guard Set(options.labels).count == options.labels.count else { throw DataError("the label list repeats a label") }
            candidates = try options.labels.map { model.encodeContinuation(try prompt.scoredAnswer($0, modelSeparator: model.separator)) + [model.endToken] }
        } else {
            candidates = []
        }
        guard options.noisyCopies >= 0 else { throw DataError("the number of noisy copies must be at least 0") }
        if options.noisyCopies > 0 {
            guard options.mode == .constrained else { throw DataError("noisy copies average label likelihoods: they need constrained mode") }
            guard options.copyNoise.isActive else { throw DataError("noisy copies need a rank noise above 0") }
        }
    }

    /// The model input of one cell (single-cell tasks).
    public func modelInput(_ cell: CellRecord) throws -> String {
        try prompt.render(PromptValues.singleCell(cell, topK: options.topGenes, organism: options.organism, labelColumn: nil, style: prompt.style))
    }

    /// The model input of a group of cells (multi-cell tasks: tissue, interpretation).
    public func modelInput(group cells: [CellRecord]) throws -> String {
        try prompt.render(PromptValues.multiCell(cells, topK: options.topGenes, organism: options.organism, label: nil, text: nil, style: prompt.style))
    }

    /// Annotates `cells`, in order. A cell's answer does not depend on the other cells.
    public func annotate(_ cells: [CellRecord]) throws -> [Annotation] {
        guard options.noisyCopies > 0 else { return try answer(cells.map(modelInput)) }
        // The cell as measured, then its noisy copies; each label's score is the mean of its
        // log-likelihoods over them (a geometric mean of the readings' probabilities).
        let readings = 1 + options.noisyCopies
        var inputs: [String] = []
        inputs.reserveCapacity(cells.count * readings)
        for cell in cells {
            inputs.append(try modelInput(cell))
            for copy in options.copyNoise.copies(of: cell, count: options.noisyCopies, seed: options.copySeed, keeping: options.topGenes) {
                inputs.append(try modelInput(copy))
            }
        }
        let answers = try answer(inputs)
        return stride(from: 0, to: answers.count, by: readings).map { first in
            var mean = [Double](repeating: 0, count: candidates.count)
            for a in answers[first..<(first + readings)] {
                for c in mean.indices { mean[c] += a.scores[c] / Double(readings) }
            }
            var chosen = choose(mean)
            chosen.promptTokens = answers[first].promptTokens
            return chosen
        }
    }

    /// Answers model inputs, in order, a batch at a time.
    public func answer(_ inputs: [String]) throws -> [Annotation] {
        let prompts = model.tokenizer.encodeBatch(inputs)
        var out: [Annotation] = []
        out.reserveCapacity(prompts.count)
        for start in stride(from: 0, to: prompts.count, by: options.batchSize) {
            let batch = Array(prompts[start..<min(prompts.count, start + options.batchSize)])
            var answers = options.mode == .free ? try generate(batch) : try score(batch)
            for k in answers.indices { answers[k].promptTokens = batch[k].count }
            out += answers
        }
        return out
    }

    func generate(_ prompts: [[Int32]]) throws -> [Annotation] {
        var g = GenerationOptions(maxNewTokens: options.maxNewTokens, sampling: .greedy, stopTokenIDs: model.stopTokens)
        g.maxTokensPerPass = options.maxTokensPerPass
        return try Generator(model: model.language).generate(prompts: prompts, options: g).map { r in
            let text = model.tokenizer.decode(r.tokens, skipSpecialTokens: true)
            return Annotation(label: prompt.profile.cleanAnswer(text), tokens: r.tokens.count, finishReason: r.finishReason)
        }
    }

    func score(_ prompts: [[Int32]]) throws -> [Annotation] {
        let scores = try ContinuationScorer(model: model.language, maxTokensPerPass: options.maxTokensPerPass)
            .score(prompts: prompts, continuations: candidates)
        return scores.map(choose)
    }

    /// The most likely candidate of one row of log-likelihoods, with its probability among the
    /// candidates (softmax of the row).
    func choose(_ row: [Double]) -> Annotation {
        var best = 0
        for c in row.indices where row[c] > row[best] { best = c }
        let m = row[best]
        let total = row.reduce(0) { $0 + exp($1 - m) }
        return Annotation(label: options.labels[best], logLikelihood: row[best], probability: 1 / total, scores: row)
    }
}
