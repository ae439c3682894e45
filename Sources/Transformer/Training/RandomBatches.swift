/// The order in which one epoch visits the training examples when batches are not grouped by
/// length (the default): a seeded random permutation, cut into consecutive micro-batches, as
/// transformers' `RandomSampler` feeds its `DataLoader`.
///
/// Every micro-batch is a random draw of the whole training set, so a step's gradient mixes
/// the tasks in their proportions; with length grouping each batch held a single task and the
/// model trained on it learned to ignore the conditioning label (docs/SCIENCE.md).
public enum RandomBatches {
    /// The micro-batches (lists of example indices) of epoch `epoch` of `count` examples: the
    /// same for the same seed and epoch on any machine.
    public static func batches(count: Int, batchSize: Int, seed: UInt64, epoch: Int) -> [[Int]] {
        precondition(batchSize >= 1, "batch size must be at least 1")
        guard count > 0 else { return [] }
        let order = ShuffleGenerator.permutation(count, seed: seed, epoch: epoch)
        return stride(from: 0, to: count, by: batchSize).map { Array(order[$0..<min(count, $0 + batchSize)]) }
    }
}
