import Foundation

/// How far a quantized model's next-token logits are from the fp32 model's, position by
/// position over real sequences: the check behind `c2s lm check-quantization`, before trusting
/// `--quantize` with a run.
public struct QuantizationCheck: Sendable {
    /// Where the sequences come from.
    public enum Input: Sendable {
        /// A file of token-id sequences, one JSON array per line (``TokenIDFile``).
        case tokenIDs(String)
        /// A prompt file (``PromptFile``), tokenized with the model's tokenizer.
        case prompts(String)
        /// A JSONL prompt file read as whole examples, model_input + " " + response
        /// (``PromptFile/examples(_:)``), tokenized with the model's tokenizer.
        case examples(String)
    }

    public let vocabulary: Int
    /// Sequences read (after the limit), positions compared, and positions whose most likely
    /// next token is the same in both models.
    public var sequences = 0
    public var positions = 0, top1Agreeing = 0
    /// The largest |logit difference|, the sum over positions of each position's largest, and
    /// the largest |fp32 logit| (for scale).
    public var maxDifference: Float = 0, sumOfPositionMaxima: Double = 0, largestLogit: Float = 0

    public init(vocabulary: Int) { self.vocabulary = vocabulary }

    /// Loads the model folder twice, in fp32 and quantized by `quantize`, and compares them
    /// on the first `limit` sequences of `input` (all when nil), each cut to the model's
    /// context, in one pass each. Needs memory for both models.
    public static func run(model: String, quantize: WeightQuantization, input: Input, limit: Int?) throws -> QuantizationCheck {
        let folder = URL(fileURLWithPath: model)
        let full = try ModelLoader.load(folder: folder, weights: .fp32)
        let quantized = try ModelLoader.load(folder: folder, quantize: quantize)
        var sequences: [[Int32]]
        switch input {
        case .tokenIDs(let path): sequences = try TokenIDFile.read(path)
        case .prompts(let path), .examples(let path):
            let texts: [String]
            if case .examples = input { texts = try PromptFile.examples(path) } else { texts = try PromptFile.read(path) }
            sequences = try Tokenizer.load(folder: ModelLoader.tokenizerFolder(model: model, adapter: nil)).encodeBatch(texts)
        }
        if let limit { sequences = Array(sequences.prefix(limit)) }
        var check = QuantizationCheck(vocabulary: full.info.vocabularySize)
        check.sequences = sequences.count
        for tokens in sequences {
            let cut = Array(tokens.prefix(full.info.contextLength))
            guard !cut.isEmpty else { continue }
            check.add(reference: try logits(full, cut), quantized: try logits(quantized, cut))
        }
        return check
    }

    /// Logits of every position of one sequence, in one pass.
    static func logits(_ m: any CausalLanguageModel, _ tokens: [Int32]) throws -> [Float] {
        var batch = ForwardBatch()
        batch.append(slot: 0, newTokens: tokens, past: 0)
        return try m.forward(batch, cache: m.makeCache(capacities: [tokens.count]), logits: .all, hiddenStates: false).logits
    }

    /// Adds the positions of one sequence: the reference's and the quantized model's logits,
    /// `vocabulary` per position.
    public mutating func add(reference: [Float], quantized: [Float]) {
        for row in 0..<(reference.count / vocabulary) {
            let r = reference[(row * vocabulary)..<((row + 1) * vocabulary)], q = quantized[(row * vocabulary)..<((row + 1) * vocabulary)]
            var worst: Float = 0
            for (a, b) in zip(r, q) { worst = max(worst, abs(a - b)) }
            positions += 1
            if r.indices.max(by: { r[$0] < r[$1] }) == q.indices.max(by: { q[$0] < q[$1] }) { top1Agreeing += 1 }
            maxDifference = max(maxDifference, worst)
            sumOfPositionMaxima += Double(worst)
            largestLogit = max(largestLogit, r.map(abs).max() ?? 0)
        }
    }

    /// The figures as one JSON object, `quantization` naming the quantization checked.
    public func summary(quantization: String) -> String {
        let mean = positions > 0 ? sumOfPositionMaxima / Double(positions) : 0
        return "{\"quantization\":\"\(quantization)\",\"sequences\":\(sequences),\"positions\":\(positions),\"top1_agreement\":\(positions > 0 ? Double(top1Agreeing) / Double(positions) : 1),"
            + "\"top1_differing\":\(positions - top1Agreeing),\"max_abs_logit_difference\":\(maxDifference),\"mean_position_max_abs_logit_difference\":\(mean),\"largest_abs_fp32_logit\":\(largestLogit)}"
    }
}
