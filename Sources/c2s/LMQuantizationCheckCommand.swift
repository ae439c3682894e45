import ArgumentParser
import Foundation
import Transformer

/// `c2s lm check-quantization`: how far a quantized model's logits are from the fp32 model's
/// on the user's own prompts, before trusting `--quantize` with a run.
struct LMQuantizationCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-quantization",
        abstract: "Compare a quantized model's next-token logits with the fp32 model's on real prompts.",
        discussion: """
            Loads MODEL twice, in fp32 and quantized (--quantize), runs every sequence through \
            both (all positions, one pass each, cut to the model's context) and prints one JSON \
            object: positions compared, top-1 next-token agreement, the largest and mean |logit \
            difference|, and the largest |fp32 logit| for scale. Needs memory for both models.

            Example:
              c2s lm check-quantization --model pythia-c2s --prompts prompts.jsonl
            """)

    @Option(help: "Hugging Face model folder.")
    var model: String

    @Option(help: "The quantization to check.")
    var quantize: WeightQuantization = .int8

    @Option(name: .customLong("prompts"), help: "A file of texts: plain lines or JSONL (model_input, prompt or text field; with --with-response, model_input + ' ' + response).")
    var promptFile: String?

    @Option(help: "A file of token-id sequences: one JSON array per line.")
    var promptIds: String?

    @Flag(help: "Append each JSONL line's response field to its model_input (teacher forcing over whole training examples).")
    var withResponse = false

    @Option(help: "Use at most this many sequences.")
    var limit: Int?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if (promptFile == nil) == (promptIds == nil) { throw ValidationError("give exactly one of --prompts or --prompt-ids") }
        if withResponse && promptFile == nil { throw ValidationError("--with-response reads --prompts") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try CLIErrors.run {
            if let threads { KernelThreads.count = threads }
            Matmul.setThreads(KernelThreads.count)
            let folder = URL(fileURLWithPath: model)
            let full = try ModelLoader.load(folder: folder, weights: .fp32)
            let quantized = try ModelLoader.load(folder: folder, quantize: quantize)
            var sequences: [[Int32]]
            if let promptIds {
                sequences = try TokenIDFile.read(promptIds)
            } else {
                let texts = withResponse ? try Self.examples(promptFile!) : try PromptFile.read(promptFile!)
                sequences = try Tokenizer.load(folder: ModelLoader.tokenizerFolder(model: model, adapter: nil)).encodeBatch(texts)
            }
            if let limit { sequences = Array(sequences.prefix(limit)) }
            var check = QuantizationCheck(vocabulary: full.info.vocabularySize)
            for tokens in sequences {
                let cut = Array(tokens.prefix(full.info.contextLength))
                guard !cut.isEmpty else { continue }
                check.add(reference: try Self.logits(full, cut), quantized: try Self.logits(quantized, cut))
            }
            print(check.summary(sequences: sequences.count, quantization: quantize.rawValue))
        }
    }

    /// Logits of every position of one sequence, in one pass.
    static func logits(_ m: any CausalLanguageModel, _ tokens: [Int32]) throws -> [Float] {
        var batch = ForwardBatch()
        batch.append(slot: 0, newTokens: tokens, past: 0)
        return try m.forward(batch, cache: m.makeCache(capacities: [tokens.count]), logits: .all, hiddenStates: false).logits
    }

    /// model_input + " " + response of each JSONL line.
    static func examples(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.input("\(path): cannot be read") }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated().map { n, line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let input = object["model_input"] as? String, let response = object["response"] as? String else {
                throw ModelError.input("\(path):\(n + 1): --with-response needs model_input and response fields")
            }
            return input + " " + response
        }
    }
}

/// Running totals of a quantized model's logits against the reference's, position by position.
struct QuantizationCheck {
    let vocabulary: Int
    var positions = 0, top1Agreeing = 0
    var maxDifference: Float = 0, sumOfPositionMaxima: Double = 0, largestLogit: Float = 0

    mutating func add(reference: [Float], quantized: [Float]) {
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

    func summary(sequences: Int, quantization: String) -> String {
        let mean = positions > 0 ? sumOfPositionMaxima / Double(positions) : 0
        return "{\"quantization\":\"\(quantization)\",\"sequences\":\(sequences),\"positions\":\(positions),\"top1_agreement\":\(positions > 0 ? Double(top1Agreeing) / Double(positions) : 1),"
            + "\"top1_differing\":\(positions - top1Agreeing),\"max_abs_logit_difference\":\(maxDifference),\"mean_position_max_abs_logit_difference\":\(mean),\"largest_abs_fp32_logit\":\(largestLogit)}"
    }
}
