import Foundation

/// What one optimizer step did.
public struct StepMetrics: Sendable, Equatable {
    /// Optimizer steps completed, this one included (1 for the first step).
    public var step: Int
    /// Epochs completed (fractional).
    public var epoch: Double
    /// Mean cross-entropy per target token over all micro-batches of the step.
    public var loss: Double
    /// The learning rate this step used.
    public var learningRate: Double
    /// Global L2 norm of the step's gradient before clipping.
    public var gradNorm: Double
    /// Tokens run through the model (prompt and response), and those that took a loss.
    public var tokens: Int
    public var targetTokens: Int
    /// Wall time of the step and of the run so far (a resumed run counts its earlier part).
    public var seconds: Double
    public var elapsed: Double
    /// Mean token loss of each task's examples in the step (tasks without target tokens in
    /// the step are absent); empty when the examples carry no task.
    public var taskLoss: [String: Double] = [:]
    /// Data-parallel runs: seconds of the step spent summing gradients and losses over the
    /// ranks (including waiting for the slowest); nil in a single-process run.
    public var communicationSeconds: Double?

    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
}

/// A validation pass: mean token loss over every validation example.
public struct ValidationMetrics: Sendable, Equatable {
    /// Optimizer steps completed when it ran.
    public var step: Int
    public var epoch: Double
    public var loss: Double
    /// Target tokens the loss averages over.
    public var tokens: Int
    public var seconds: Double
    public var elapsed: Double
    /// Mean token loss of each task's validation examples.
    public var taskLoss: [String: Double] = [:]

    /// exp(loss): the mean per-token perplexity.
    public var perplexity: Double { exp(loss) }
}

/// One line of the metrics log: a step or a validation pass.
public enum MetricsRecord: Sendable, Equatable {
    case step(StepMetrics)
    case validation(ValidationMetrics)

    public var step: Int {
        switch self {
        case .step(let m): return m.step
        case .validation(let m): return m.step
        }
    }

    /// The JSON line (without newline). Steps: `step`, `epoch`, `loss`, `lr`, `grad_norm`,
    /// `tokens`, `target_tokens`, `tokens_per_second`, `seconds`, `elapsed` (and
    /// `allreduce_seconds` in a data-parallel run). Validation:
    /// `step`, `epoch`, `validation_loss`, `validation_perplexity`, `validation_tokens`,
    /// `seconds`, `elapsed`. Each task's loss follows as `loss/TASK` (steps) or
    /// `validation_loss/TASK` (validation), keeping the line a flat object. Numbers are written in the shortest form that reads back to the
    /// same Double; a non-finite number is written as null.
    public var jsonLine: String {
        switch self {
        case .step(let m):
            return "{\"step\":\(m.step),\"epoch\":\(Self.number(m.epoch)),\"loss\":\(Self.number(m.loss)),\"lr\":\(Self.number(m.learningRate)),"
                + "\"grad_norm\":\(Self.number(m.gradNorm)),\"tokens\":\(m.tokens),\"target_tokens\":\(m.targetTokens),"
                + "\"tokens_per_second\":\(Self.number(m.tokensPerSecond.rounded())),\"seconds\":\(Self.number(m.seconds)),\"elapsed\":\(Self.number(m.elapsed))"
                + (m.communicationSeconds.map { ",\"allreduce_seconds\":\(Self.number($0))" } ?? "")
                + Self.taskFields("loss/", m.taskLoss) + "}"
        case .validation(let m):
            return "{\"step\":\(m.step),\"epoch\":\(Self.number(m.epoch)),\"validation_loss\":\(Self.number(m.loss)),"
                + "\"validation_perplexity\":\(Self.number(m.perplexity)),\"validation_tokens\":\(m.tokens),"
                + "\"seconds\":\(Self.number(m.seconds)),\"elapsed\":\(Self.number(m.elapsed))"
                + Self.taskFields("validation_loss/", m.taskLoss) + "}"
        }
    }

    /// Prefix of the per-task keys.
    static let taskPrefixes = (step: "loss/", validation: "validation_loss/")

    /// `,"PREFIXtask":loss` for each task in name order; names that would need escaping in
    /// JSON (only letters, digits and `_-.` are written) are left out.
    static func taskFields(_ prefix: String, _ losses: [String: Double]) -> String {
        losses.keys.sorted().filter { name in
            !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)) }
        }.map { ",\"\(prefix)\($0)\":\(number(losses[$0]!))" }.joined()
    }

    /// The per-task entries of a parsed line.
    static func tasks(_ object: [String: Double], prefix: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for (key, value) in object where key.hasPrefix(prefix) { out[String(key.dropFirst(prefix.count))] = value }
        return out
    }

    /// Reads a line written by `jsonLine`; nil when it is not one.
    public init?(jsonLine: String) {
        // The lines are flat objects of numbers (or null), read with Swift's exact number
        // parser: Foundation's JSON parser on Linux can be off by an ulp.
        let body = jsonLine.trimmingCharacters(in: .whitespaces)
        guard body.hasPrefix("{"), body.hasSuffix("}") else { return nil }
        var object: [String: Double] = [:]
        for field in body.dropFirst().dropLast().split(separator: ",") {
            let parts = field.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            guard key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") else { return nil }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            guard let number = value == "null" ? Double.nan : Double(value) else { return nil }
            object[String(key.dropFirst().dropLast())] = number
        }
        guard let stepValue = object["step"], stepValue == stepValue.rounded() else { return nil }
        let step = Int(stepValue)
        func double(_ key: String) -> Double { object[key] ?? .nan }
        func int(_ key: String) -> Int { object[key].flatMap { $0.isFinite ? Int($0) : nil } ?? 0 }
        if object["validation_loss"] != nil {
            self = .validation(ValidationMetrics(step: step, epoch: double("epoch"), loss: double("validation_loss"),
                                                 tokens: int("validation_tokens"), seconds: double("seconds"), elapsed: double("elapsed"),
                                                 taskLoss: Self.tasks(object, prefix: Self.taskPrefixes.validation)))
        } else if object["loss"] != nil {
            self = .step(StepMetrics(step: step, epoch: double("epoch"), loss: double("loss"), learningRate: double("lr"),
                                     gradNorm: double("grad_norm"), tokens: int("tokens"), targetTokens: int("target_tokens"),
                                     seconds: double("seconds"), elapsed: double("elapsed"),
                                     taskLoss: Self.tasks(object, prefix: Self.taskPrefixes.step), communicationSeconds: object["allreduce_seconds"]))
        } else {
            return nil
        }
    }

    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return "\(x)"
    }
}
