/// Sequences for one training micro-batch, concatenated without padding (as `ForwardBatch`
/// does for inference), so no compute or memory goes to padding and a sequence's loss and
/// gradient do not depend on what else is in the batch.
public struct TrainingBatch: Sendable, Equatable {
    /// Target value for positions that take no loss (prompt tokens, when training on the
    /// response only). Equals PyTorch's `ignore_index` default.
    public static let ignored: Int32 = -100

    /// Every sequence's tokens, one sequence after another.
    public var tokens: [Int32]
    /// Token count of each sequence, in order; they sum to `tokens.count`.
    public var lengths: [Int]
    /// For each position, the token the model must predict there (the next token of the
    /// sequence, already shifted), or `ignored`. The last position of a sequence has no next
    /// token and is normally `ignored`.
    public var targets: [Int32]
    /// Weight of each position's loss in the gradient (nil: all 1), e.g. 1 / (the example's
    /// target tokens) so that every example counts the same. The reported loss stays the
    /// plain sum.
    public var targetWeights: [Float]?

    public init(tokens: [Int32], lengths: [Int], targets: [Int32]) {
        precondition(tokens.count == targets.count, "one target per token")
        precondition(lengths.reduce(0, +) == tokens.count && lengths.allSatisfy { $0 > 0 }, "lengths cover the tokens")
        self.tokens = tokens
        self.lengths = lengths
        self.targets = targets
    }

    /// Positions that take a loss.
    public var targetCount: Int { targets.reduce(0) { $1 == Self.ignored ? $0 : $0 + 1 } }
}

/// Summed token cross-entropy (natural log) and the number of tokens it sums over.
public struct LossSum: Sendable, Equatable {
    public var sum: Double
    public var tokens: Int
    /// The summed loss of each sequence of the batch, in order (batches added with `+` are
    /// concatenated); empty when the model does not report it. The trainer uses it for the
    /// loss of each task, which one mean over a mixed batch hides.
    public var bySequence: [Double]

    public init(sum: Double = 0, tokens: Int = 0, bySequence: [Double] = []) {
        self.sum = sum
        self.tokens = tokens
        self.bySequence = bySequence
    }

    /// Mean loss per target token (NaN when there are none).
    public var mean: Double { tokens > 0 ? sum / Double(tokens) : .nan }

    public static func + (a: LossSum, b: LossSum) -> LossSum {
        LossSum(sum: a.sum + b.sum, tokens: a.tokens + b.tokens, bySequence: a.bySequence + b.bySequence)
    }
}

/// A model that can be trained: the forward pass of `CausalLanguageModel` with a backward pass
/// written beside it in the architecture's file.
///
/// The loss is a sum, not a mean, so that gradient accumulation over micro-batches can weight
/// every target token equally: the caller passes `scale = 1 / (target tokens in the whole
/// optimizer step)` and the accumulated gradient is that of the step's mean token loss.
public protocol TrainableModel: CausalLanguageModel {
    /// Runs forward and backward on `batch`; returns the summed cross-entropy over its target
    /// tokens and adds `scale` × the gradient of that sum into `gradients` (`parameters.count`
    /// floats laid out like `parameters.base`; the caller zeroes it at the start of a step).
    func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>) throws -> LossSum

    /// The same, calling `afterLayer(l)` as soon as decoder layer `l`'s gradient is complete in
    /// the backward pass (layers last to first), so a data-parallel run can start summing it
    /// over the ranks (`OverlappedGradientReduction`). Models that report no layers (the
    /// default) never call it; the sums then all start after the backward pass.
    func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>,
                             afterLayer: ((Int) -> Void)?) throws -> LossSum

    /// The summed cross-entropy over `batch`'s target tokens, forward only (validation).
    func loss(_ batch: TrainingBatch) throws -> LossSum

    /// Fills every parameter for training from scratch the way transformers' `_init_weights`
    /// does for this architecture (normal(0, `initializer_range`) weights, zero biases, unit
    /// norm weights, and any architecture-specific scaling), from a generator seeded by `seed`:
    /// the same seed gives the same model on any machine and thread count.
    func initializeParameters(seed: UInt64)

    /// Activation checkpointing: keep only each layer's input through the forward pass and
    /// recompute the layer's activations just before its backward pass (about one more
    /// forward pass of compute for activation memory of `layers × hidden` floats per token
    /// plus one layer's worth). Results are the same either way.
    func setActivationCheckpointing(_ on: Bool)

    /// The key of the random draws (LoRA dropout) of the following `accumulateGradients`
    /// calls. The trainer sets it for every micro-batch from the seed, the step and the
    /// micro-batch's position, so a resumed run draws what the uninterrupted run drew; and
    /// `firstRow`, the global token row of the batch's first row, so a data-parallel rank
    /// running part of a micro-batch draws what the whole batch would have. Models that draw
    /// nothing ignore it.
    func setRandomKey(_ key: UInt64, firstRow: Int)

    /// The parameter holding the output head (`[vocabulary, hidden]`, one row per token): the
    /// token embedding itself when the head is tied.
    var outputHeadParameter: String { get }
}

extension TrainableModel {
    public func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>,
                                    afterLayer: ((Int) -> Void)?) throws -> LossSum {
        try accumulateGradients(batch, scale: scale, into: gradients)
    }
}
