/// How a run walks the data: micro-batches per epoch, optimizer steps per epoch and in all,
/// and which micro-batches make up any given step. Everything is a function of the step
/// number, the seed and the example lengths, so a resumed run needs only the step it stopped
/// at to carry on exactly where it was.
public struct TrainingPlan: Sendable, Equatable {
    public let lengths: [Int]
    public let batchSize: Int
    public let gradientAccumulation: Int
    public let seed: UInt64
    public let batchOrder: TrainingOptions.BatchOrder
    /// Micro-batches in one epoch (the last may hold fewer sequences).
    public let batchesPerEpoch: Int
    /// Optimizer steps in one epoch: every micro-batch is used once, so the last step of an
    /// epoch may accumulate fewer micro-batches (transformers does the same since 4.46).
    public let stepsPerEpoch: Int
    public let totalSteps: Int

    public init(lengths: [Int], options: TrainingOptions) {
        precondition(!lengths.isEmpty, "a training plan needs examples")
        self.lengths = lengths
        batchSize = options.batchSize
        gradientAccumulation = options.gradientAccumulation
        seed = options.seed
        batchOrder = options.batchOrder
        batchesPerEpoch = (lengths.count + batchSize - 1) / batchSize
        stepsPerEpoch = (batchesPerEpoch + gradientAccumulation - 1) / gradientAccumulation
        totalSteps = options.maxSteps ?? options.epochs * stepsPerEpoch
    }

    /// The epoch (0-based) that optimizer step `step` (0-based) belongs to.
    public func epoch(ofStep step: Int) -> Int { step / stepsPerEpoch }

    /// Epochs completed after `steps` optimizer steps, as a fraction (what the metrics log).
    public func epochProgress(afterSteps steps: Int) -> Double {
        let whole = steps / stepsPerEpoch, within = steps % stepsPerEpoch
        // Within an epoch, progress counts micro-batches, since the last step may have fewer.
        let batches = min(batchesPerEpoch, within * gradientAccumulation)
        return Double(whole) + Double(batches) / Double(batchesPerEpoch)
    }

    /// The micro-batches of epoch `epoch`.
    public func batches(epoch: Int) -> [[Int]] {
        switch batchOrder {
        case .random: RandomBatches.batches(count: lengths.count, batchSize: batchSize, seed: seed, epoch: epoch)
        case .groupedByLength: LengthGroupedBatches.batches(lengths: lengths, batchSize: batchSize, seed: seed, epoch: epoch)
        }
    }

    /// The micro-batches (example indices) of optimizer step `step`, given that epoch's batches.
    public func microBatches(ofStep step: Int, epochBatches: [[Int]]) -> ArraySlice<[Int]> {
        let first = (step % stepsPerEpoch) * gradientAccumulation
        return epochBatches[first..<min(epochBatches.count, first + gradientAccumulation)]
    }
}
