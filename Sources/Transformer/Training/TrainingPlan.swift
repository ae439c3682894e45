/// How a run walks the data: micro-batches per epoch, optimizer steps per epoch and in all,
/// and which micro-batches make up any given step. Everything is a function of the step
/// number, the seed and the example lengths, so a resumed run needs only the step it stopped
/// at to carry on exactly where it was.
public struct TrainingPlan: Sendable, Equatable {
    /// Examples in the training set.
    public let count: Int
    /// Their lengths in tokens (only the length-grouped order needs them; empty otherwise).
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
        self.init(count: lengths.count, lengths: lengths, options: options)
    }

    /// A plan that knows only how many examples there are (random and permuted orders).
    public init(count: Int, options: TrainingOptions) {
        precondition(options.batchOrder != .groupedByLength, "batches grouped by length need the lengths")
        self.init(count: count, lengths: [], options: options)
    }

    private init(count: Int, lengths: [Int], options: TrainingOptions) {
        precondition(count > 0, "a training plan needs examples")
        self.count = count
        self.lengths = lengths
        batchSize = options.batchSize
        gradientAccumulation = options.gradientAccumulation
        seed = options.seed
        batchOrder = options.batchOrder
        batchesPerEpoch = (count + batchSize - 1) / batchSize
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
        case .random: RandomBatches.batches(count: count, batchSize: batchSize, seed: seed, epoch: epoch)
        case .groupedByLength: LengthGroupedBatches.batches(lengths: lengths, batchSize: batchSize, seed: seed, epoch: epoch)
        case .permuted: (0..<batchesPerEpoch).map { permutedBatch($0, permutation: permutation(epoch: epoch)) }
        }
    }

    /// The permuted order's permutation of epoch `epoch`.
    func permutation(epoch: Int) -> SeededPermutation {
        SeededPermutation(count: count, seed: seed, stream: UInt64(epoch))
    }

    /// Micro-batch `k` of an epoch in the permuted order: positions k·B..<(k+1)·B of its
    /// permutation.
    func permutedBatch(_ k: Int, permutation: SeededPermutation) -> [Int] {
        (k * batchSize..<min(count, (k + 1) * batchSize)).map { permutation[$0] }
    }

    /// The micro-batches of optimizer step `step`, computed from the step alone (the permuted
    /// order, which never lists an epoch).
    public func permutedMicroBatches(ofStep step: Int) -> [[Int]] {
        precondition(batchOrder == .permuted, "only the permuted order is computed per step")
        let p = permutation(epoch: epoch(ofStep: step))
        let first = (step % stepsPerEpoch) * gradientAccumulation
        return (first..<min(batchesPerEpoch, first + gradientAccumulation)).map { permutedBatch($0, permutation: p) }
    }

    /// The micro-batches (example indices) of optimizer step `step`, given that epoch's batches.
    public func microBatches(ofStep step: Int, epochBatches: [[Int]]) -> ArraySlice<[Int]> {
        let first = (step % stepsPerEpoch) * gradientAccumulation
        return epochBatches[first..<min(epochBatches.count, first + gradientAccumulation)]
    }
}
