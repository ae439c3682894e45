/// One rank's part of a micro-batch in data-parallel training.
///
/// The data order, the micro-batches and the steps are those of a single-process run with the
/// same global batch (`TrainingPlan` does not know about ranks); each of `ranks` processes takes
/// a contiguous, as-even-as-possible slice of every micro-batch. Summing the ranks' gradients
/// (each scaled by 1 / the whole step's target tokens) gives the single-process gradient up to
/// the order of fp32 additions, so the number of ranks can change between a checkpoint and its
/// resumption.
public struct DataParallelShard: Sendable, Equatable {
    /// Positions within the micro-batch that this rank runs.
    public let positions: Range<Int>

    public init(batchCount: Int, rank: Int, ranks: Int) {
        precondition(ranks >= 1 && rank >= 0 && rank < ranks, "rank \(rank) of \(ranks)")
        positions = (batchCount * rank / ranks)..<(batchCount * (rank + 1) / ranks)
    }

    /// Token rows of the micro-batch before this rank's first sequence: what keys its dropout
    /// masks, so that a mask depends on the global batch and not on how it was split.
    public func firstRow(lengths: some Collection<Int>) -> Int {
        lengths.prefix(positions.lowerBound).reduce(0, +)
    }
}
