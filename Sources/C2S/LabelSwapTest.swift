import CellSentences
import Foundation
import Mechanics
import Prompts
import SingleCell
import Transformer

/// Settings of the label-swap test.
public struct LabelSwapOptions: Sendable {
    /// Genes of each real cell scored as the response (its top genes, as in training).
    public var topGenes = 200
    public var organism = "Homo sapiens"
    /// Cells scored at most: a seeded subsample of the cells with a known label when more.
    public var maxCells = 200
    public var seed: UInt64 = 0
    public var maxTokensPerPass = 8192

    public init() {}
}

/// The label-swap figures of the cells of one label (or of all cells).
public struct LabelSwapGroup: Codable, Sendable, Equatable {
    /// The label (`nil` for the row of all cells).
    public var label: String?
    public var cells: Int
    /// Mean over cells of the log-likelihood per response token (natural log, EOS included)
    /// under the cell's own label, and under the other labels (mean over them).
    public var ownPerToken: Double
    public var othersPerToken: Double
    /// Mean over cells of (own - mean over the other labels) per token: `ownPerToken -
    /// othersPerToken` up to rounding, but exactly 0 when every label scores the same.
    public var gapPerToken: Double
    /// Mean over cells of (own log-likelihood - mean log-likelihood under the other labels),
    /// for the whole response.
    public var gapPerCell: Double
    /// Share of cells whose own label gives the highest likelihood: the accuracy of the model
    /// used as a generative classifier. A tie at the top counts 1/(labels tied).
    public var accuracy: Double

    enum CodingKeys: String, CodingKey {
        case label, cells, accuracy
        case ownPerToken = "own_log_likelihood_per_token", othersPerToken = "others_log_likelihood_per_token"
        case gapPerToken = "gap_per_token", gapPerCell = "gap_per_cell"
    }
}

/// What the label-swap test measured.
public struct LabelSwapResult: Codable, Sendable, Equatable {
    public var task: String
    /// The input template used (1-based).
    public var template: Int
    public var labels: [String]
    public var topGenes: Int
    public var seed: UInt64
    /// Cells offered, of those: without a label value, with a label the model did not learn
    /// (both left out), and scored (after the subsample).
    public var cellsOffered: Int
    public var cellsWithoutLabel: Int
    public var cellsWithUnknownLabel: Int
    public var cellsScored: Int
    /// Mean response tokens per cell (EOS included): what the per-token figures divide by.
    public var meanResponseTokens: Double
    /// 1 / number of labels: the accuracy of a model that ignores the label.
    public var chance: Double
    /// All scored cells.
    public var overall: LabelSwapGroup
    /// One row per label with at least one scored cell, in the order of `labels`.
    public var perLabel: [LabelSwapGroup]
    /// Per label, the share of all scored cells whose most likely label it is (a tie at the
    /// top splits the cell among the tied labels). A label chosen far more often than its
    /// share of cells is one the model finds likely whatever the cell.
    public var chosenShare: [String: Double]
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case task, template, labels, seed, chance, overall, seconds
        case topGenes = "top_genes", cellsOffered = "cells_offered", cellsWithoutLabel = "cells_without_label"
        case cellsWithUnknownLabel = "cells_with_unknown_label", cellsScored = "cells_scored"
        case meanResponseTokens = "mean_response_tokens", perLabel = "per_label", chosenShare = "chosen_share"
    }
}

/// The label-swap test: does a generation model use its label? Each held-out real cell's
/// sentence (its top genes, formatted as a training response: separator, sentence, EOS) is
/// scored as the continuation of the conditional generation prompt once for every label the
/// model learned. A model that uses the label finds a cell's sentence more likely under its
/// own label; one that ignores the label scores every label the same (gap 0, accuracy at
/// chance).
///
/// Prompts are rendered as for generation (`PromptValues.generation`) with `num_genes` the
/// number of genes the response really has, as training prompts state it; prompt and
/// response are tokenized together and split where training puts the loss boundary
/// (`PromptEncoder`), so each sentence is scored exactly as the model was trained on it.
public struct LabelSwapTest: Sendable {
    public let model: C2SModel
    public let prompt: TaskPrompt
    public let labels: [String]
    public let options: LabelSwapOptions

    /// Errors: fewer than two labels (nothing to swap), repeated labels, bad options.
    public init(model: C2SModel, prompt: TaskPrompt, labels: [String], options: LabelSwapOptions) throws {
        guard labels.count >= 2 else {
            throw DataError("the label-swap test needs at least two labels, and the model has \(labels.count)\(labels.isEmpty ? "" : " (\(labels[0]))")")
        }
        guard Set(labels).count == labels.count else { throw DataError("the label list repeats a label") }
        guard options.maxCells >= 1, options.topGenes >= 1, options.maxTokensPerPass >= 1 else {
            throw DataError("cells, genes and tokens per pass must be at least 1")
        }
        self.model = model
        self.prompt = prompt
        self.labels = labels
        self.options = options
    }

    /// The model input asking for a cell of `label` with `genes` genes.
    public func modelInput(label: String, genes: Int) throws -> String {
        try prompt.render(PromptValues.generation(label: label, numGenes: genes, organism: options.organism))
    }

    /// The cells scored: those whose `labelColumn` holds a learned label, a seeded subsample
    /// of `maxCells` when more (indices into `cells`, ascending), with the counts left out.
    public func selectCells(_ cells: [CellRecord], labelColumn: String) -> (indices: [Int], withoutLabel: Int, unknownLabel: Int) {
        let known = Set(labels)
        var eligible: [Int] = [], withoutLabel = 0, unknown = 0
        for (i, cell) in cells.enumerated() {
            guard let label = cell.fields[labelColumn], !label.isEmpty else { withoutLabel += 1; continue }
            if known.contains(label) { eligible.append(i) } else { unknown += 1 }
        }
        guard eligible.count > options.maxCells else { return (eligible, withoutLabel, unknown) }
        // Partial Fisher-Yates: the first maxCells places of a seeded shuffle.
        var rng = Xoshiro256StarStar(seed: options.seed)
        for i in 0..<options.maxCells {
            let j = i + Int(rng.next() % UInt64(eligible.count - i))
            eligible.swapAt(i, j)
        }
        return (eligible[..<options.maxCells].sorted(), withoutLabel, unknown)
    }

    /// Runs the test on `cells` (e.g. the test split), whose true label is in `labelColumn`.
    /// `progress(done, total)` counts scored (cell, label) pairs. Errors: no cell with a
    /// learned label, a cell whose prompt and response do not fit the model's context.
    public func run(_ cells: [CellRecord], labelColumn: String, progress: ((Int, Int) -> Void)? = nil) throws -> LabelSwapResult {
        let started = Date()
        let (chosen, withoutLabel, unknown) = selectCells(cells, labelColumn: labelColumn)
        guard !chosen.isEmpty else {
            throw DataError("no cell has a label the model learned in column '\(labelColumn)' (of \(cells.count) cells: \(withoutLabel) without a value, \(unknown) with other values); learned labels: \(labels.prefix(8).joined(separator: ", "))\(labels.count > 8 ? ", ..." : "")")
        }
        let labelCount = labels.count
        let (prompts, responses) = try encode(chosen.map { cells[$0] })
        var scores = [Double](repeating: 0, count: prompts.count)
        let scorer = ContinuationScorer(model: model.language, maxTokensPerPass: options.maxTokensPerPass)
        // Chunks of whole cells, for progress; the scorer groups sequences within a chunk.
        let chunk = labelCount * max(1, 256 / labelCount)
        for start in stride(from: 0, to: prompts.count, by: chunk) {
            let end = min(prompts.count, start + chunk)
            let part = try scorer.score(prompts: Array(prompts[start..<end]), pairedContinuations: Array(responses[start..<end]))
            scores.replaceSubrange(start..<end, with: part)
            progress?(end, prompts.count)
        }

        var accumulators = [Accumulator](repeating: Accumulator(), count: labelCount)
        var overall = Accumulator()
        var wins = [Double](repeating: 0, count: labelCount)
        var tokens = 0
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        for (c, cellIndex) in chosen.enumerated() {
            let own = index[cells[cellIndex].fields[labelColumn]!]!
            let base = c * labelCount
            let total = (0..<labelCount).map { scores[base + $0] }
            let perToken = (0..<labelCount).map { scores[base + $0] / Double(responses[base + $0].count) }
            let others = (0..<labelCount).filter { $0 != own }
            let best = total.max()!
            let tied = total.indices.filter { total[$0] == best }
            for l in tied { wins[l] += 1 / Double(tied.count) }
            // Gaps as means of differences, so a model that ignores the label gives exactly 0.
            let k = Double(others.count)
            let cell = CellScore(
                ownPerToken: perToken[own], othersPerToken: others.map { perToken[$0] }.reduce(0, +) / k,
                gapPerToken: others.map { perToken[own] - perToken[$0] }.reduce(0, +) / k,
                gap: others.map { total[own] - total[$0] }.reduce(0, +) / k,
                credit: tied.contains(own) ? 1 / Double(tied.count) : 0)
            accumulators[own].add(cell)
            overall.add(cell)
            tokens += responses[base + own].count
        }
        let n = Double(chosen.count)
        var perLabel: [LabelSwapGroup] = []
        for (l, label) in labels.enumerated() where accumulators[l].cells > 0 { perLabel.append(accumulators[l].group(label: label)) }
        return LabelSwapResult(
            task: prompt.task.name, template: prompt.templateIndex + 1, labels: labels, topGenes: options.topGenes, seed: options.seed,
            cellsOffered: cells.count, cellsWithoutLabel: withoutLabel, cellsWithUnknownLabel: unknown, cellsScored: chosen.count,
            meanResponseTokens: Double(tokens) / n, chance: 1 / Double(labelCount), overall: overall.group(label: nil),
            perLabel: perLabel, chosenShare: Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, wins[$0] / n) }), seconds: Date().timeIntervalSince(started))
    }

    /// Prompt and response tokens of every (cell, label) pair, cell-major (pair `c * L + l`),
    /// split as training splits them.
    func encode(_ cells: [CellRecord]) throws -> (prompts: [[Int32]], responses: [[Int32]]) {
        var records: [PromptRecord] = []
        records.reserveCapacity(cells.count * labels.count)
        for cell in cells {
            let (sentence, count) = cell.topGenes(options.topGenes)
            guard count > 0 else { throw DataError("cell \(cell.name) has no genes; its sentence cannot be scored") }
            for label in labels {
                records.append(PromptRecord(task: prompt.task.name, split: "", cellNames: [cell.name],
                                            modelInput: try modelInput(label: label, genes: count), response: String(sentence),
                                            line: records.count + 1))
            }
        }
        // No truncation: cutting the prompt could cut the label itself, so a pair that does
        // not fit is an error instead.
        let encoder = PromptEncoder(tokenizer: model.tokenizer, eosTokenID: model.endToken, maxLength: Int.max, lossOn: .response,
                                    join: try PromptJoin.of(format: prompt.profile.name))
        let encoded = try encoder.encode(records, path: model.folder).examples
        let context = model.language.info.contextLength
        var prompts: [[Int32]] = [], responses: [[Int32]] = []
        prompts.reserveCapacity(encoded.count)
        responses.reserveCapacity(encoded.count)
        for (k, example) in encoded.enumerated() {
            guard example.tokens.count <= context else {
                let cell = cells[k / labels.count]
                throw DataError("cell \(cell.name) with label '\(labels[k % labels.count])': prompt and response take \(example.tokens.count) tokens, more than the model's context of \(context); score fewer genes (--top-genes)")
            }
            prompts.append(Array(example.tokens[..<example.lossStart]))
            responses.append(Array(example.tokens[example.lossStart...]))
        }
        return (prompts, responses)
    }

    /// One cell's figures.
    struct CellScore {
        var ownPerToken: Double, othersPerToken: Double, gapPerToken: Double, gap: Double, credit: Double
    }

    /// Sums of cell figures, for means.
    struct Accumulator {
        var cells = 0
        var own = 0.0, others = 0.0, gapPerToken = 0.0, gap = 0.0, credit = 0.0

        mutating func add(_ c: CellScore) {
            cells += 1
            own += c.ownPerToken
            others += c.othersPerToken
            gapPerToken += c.gapPerToken
            gap += c.gap
            credit += c.credit
        }

        func group(label: String?) -> LabelSwapGroup {
            let n = Double(cells)
            return LabelSwapGroup(label: label, cells: cells, ownPerToken: own / n, othersPerToken: others / n,
                                  gapPerToken: gapPerToken / n, gapPerCell: gap / n, accuracy: credit / n)
        }
    }
}
