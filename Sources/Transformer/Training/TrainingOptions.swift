/// Settings of a training run. Defaults are those of transformers' `TrainingArguments`
/// (learning rate 5e-5, no weight decay, β 0.9/0.999, ε 1e-8, clipping at 1, linear schedule
/// without warmup, 3 epochs, seed 42), except the batch size (8 here too) which is per
/// micro-batch as in `per_device_train_batch_size`.
public struct TrainingOptions: Codable, Sendable, Equatable {
    public enum Schedule: String, Codable, Sendable, CaseIterable {
        case linear, cosine, constant
    }

    /// How the tokens of a step weigh in its gradient.
    public enum LossWeighting: String, Codable, Sendable, CaseIterable {
        /// The mean over every target token of the step (transformers' `Trainer`): an example
        /// weighs as many tokens as it has, so a generated 100-gene sentence outweighs a
        /// two-token label fifty to one.
        case token
        /// The mean over the step's examples of each example's mean token loss: every example
        /// weighs the same, whatever its length, so tasks weigh as their share of examples.
        case example
    }

    /// How an epoch's examples are cut into micro-batches.
    public enum BatchOrder: String, Codable, Sendable, CaseIterable {
        /// Consecutive slices of a seeded permutation (`RandomBatches`): tasks mixed in every
        /// batch. The default.
        case random
        /// transformers' `group_by_length` (`LengthGroupedBatches`): batches of similar length,
        /// which with several tasks means one task per batch.
        case groupedByLength = "length"
        /// A seeded random order like `random`, computed per position (`SeededPermutation`)
        /// instead of stored: memory does not grow with the examples (corpora of millions).
        /// A different order from `random`'s for the same seed.
        case permuted
    }

    /// Sequences per micro-batch.
    public var batchSize = 8
    /// Micro-batches per optimizer step.
    public var gradientAccumulation = 1
    public var learningRate = 5e-5
    public var weightDecay = 0.0
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var eps = 1e-8
    /// Gradient clipping threshold on the global L2 norm; 0 or less turns clipping off.
    public var maxGradNorm = 1.0
    public var schedule = Schedule.linear
    /// Warmup steps; when nil, `ceil(warmupRatio × total steps)` as transformers computes it.
    public var warmupSteps: Int?
    public var warmupRatio = 0.0
    public var epochs = 3
    /// When set, the run stops after this many optimizer steps (epochs repeat as needed) and
    /// the schedule spans exactly these steps.
    public var maxSteps: Int?
    /// Seeds the data order (and, for new models, the initial weights).
    public var seed: UInt64 = 42
    public var batchOrder = BatchOrder.random
    /// Recompute each layer's activations in the backward pass instead of keeping them
    /// (`--checkpoint-activations`): less memory, about a third more compute, same results.
    public var checkpointActivations = false
    /// Data-parallel runs: sum each layer's gradient over the ranks as soon as the backward
    /// pass has finished it, on a communication thread, instead of the whole gradient after the
    /// backward pass. The same sums either way. `c2s train` sets it when its ranks span several
    /// machines (`--overlap-allreduce` / `--no-overlap-allreduce` to choose).
    public var overlapAllReduce = true
    public var lossWeighting = LossWeighting.token
    /// Sequences per validation batch.
    public var evalBatchSize = 8

    public init() {}

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", gradientAccumulation = "gradient_accumulation", learningRate = "learning_rate"
        case weightDecay = "weight_decay", beta1 = "adam_beta1", beta2 = "adam_beta2", eps = "adam_epsilon"
        case maxGradNorm = "max_grad_norm", schedule, warmupSteps = "warmup_steps", warmupRatio = "warmup_ratio"
        case epochs, maxSteps = "max_steps", seed, evalBatchSize = "eval_batch_size", batchOrder = "batch_order"
        case lossWeighting = "loss_weighting"
    }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        gradientAccumulation = try c.decode(Int.self, forKey: .gradientAccumulation)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        weightDecay = try c.decode(Double.self, forKey: .weightDecay)
        beta1 = try c.decode(Double.self, forKey: .beta1)
        beta2 = try c.decode(Double.self, forKey: .beta2)
        eps = try c.decode(Double.self, forKey: .eps)
        maxGradNorm = try c.decode(Double.self, forKey: .maxGradNorm)
        schedule = try c.decode(Schedule.self, forKey: .schedule)
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps)
        warmupRatio = try c.decode(Double.self, forKey: .warmupRatio)
        epochs = try c.decode(Int.self, forKey: .epochs)
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        seed = try c.decode(UInt64.self, forKey: .seed)
        evalBatchSize = try c.decode(Int.self, forKey: .evalBatchSize)
        // Checkpoints written before the order was a setting were length-grouped.
        batchOrder = try c.decodeIfPresent(BatchOrder.self, forKey: .batchOrder) ?? .groupedByLength
        lossWeighting = try c.decodeIfPresent(LossWeighting.self, forKey: .lossWeighting) ?? .token
    }

    /// The schedule for a run of `totalSteps` optimizer steps.
    public func learningRateSchedule(totalSteps: Int) -> LearningRateSchedule {
        let warmup = warmupSteps ?? Int((Double(totalSteps) * warmupRatio).rounded(.up))
        switch schedule {
        case .linear: return .linear(warmupSteps: warmup, totalSteps: totalSteps)
        case .cosine: return .cosine(warmupSteps: warmup, totalSteps: totalSteps)
        case .constant: return .constant(warmupSteps: warmup)
        }
    }

    public var adamHyperparameters: AdamW.Hyperparameters {
        AdamW.Hyperparameters(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
    }

    /// Problems with the settings, worded as the command-line options they come from.
    public func problems() -> [String] {
        var p: [String] = []
        if batchSize < 1 { p.append("--batch-size must be at least 1") }
        if evalBatchSize < 1 { p.append("--eval-batch-size must be at least 1") }
        if gradientAccumulation < 1 { p.append("--gradient-accumulation must be at least 1") }
        if !(learningRate >= 0 && learningRate.isFinite) { p.append("--learning-rate must be a finite number ≥ 0") }
        if !(weightDecay >= 0 && weightDecay.isFinite) { p.append("--weight-decay must be a finite number ≥ 0") }
        if !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) { p.append("--adam-beta1 and --adam-beta2 must be in [0, 1)") }
        if !(eps > 0 && eps.isFinite) { p.append("--adam-epsilon must be positive") }
        if !maxGradNorm.isFinite { p.append("--max-grad-norm must be finite") }
        if let w = warmupSteps, w < 0 { p.append("--warmup-steps must not be negative") }
        if !(warmupRatio >= 0 && warmupRatio <= 1) { p.append("--warmup-ratio must be in [0, 1]") }
        if epochs < 1 { p.append("--epochs must be at least 1") }
        if let m = maxSteps, m < 1 { p.append("--max-steps must be at least 1") }
        return p
    }
}
