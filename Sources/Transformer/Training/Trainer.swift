import Foundation
import Mechanics

/// Optimizer steps over a set of tokenized examples: length-grouped micro-batches, gradient
/// accumulation, clipping, AdamW and a learning-rate schedule, as transformers' `Trainer`
/// does them.
///
/// One step's gradient is that of the mean token loss over **all** micro-batches of the step:
/// each micro-batch's summed loss is back-propagated with scale 1 / (target tokens of the whole
/// step), so every target token weighs the same whatever micro-batch it falls in (transformers
/// since 4.46, `num_items_in_batch`). Then the gradient is clipped to `maxGradNorm`, AdamW
/// steps with the schedule's learning rate for that step, and the schedule advances.
///
/// A NaN or infinite loss or gradient norm stops the run with `TrainingError.nonFinite`
/// before the optimizer touches the parameters, so the model stays at its last good state.
///
/// Data-parallel: with a `communicator` of several ranks, every rank runs its
/// `DataParallelShard` of each micro-batch, the gradients, losses and counts are summed over
/// the ranks before clipping, and every rank then applies the same update, so the ranks hold
/// the same parameters and the run is the single-process run with the same global batch (up to
/// the order of fp32 additions).
public final class Trainer {
    public let model: any TrainableModel
    public let options: TrainingOptions
    public let plan: TrainingPlan
    public let schedule: LearningRateSchedule
    public let optimizer: AdamW
    /// The training examples (in memory, or a `TokenizedExampleFile` read a batch at a time).
    public let examples: any TrainingExampleSource
    /// The tasks of the examples, in name order.
    let tasks: [String]
    /// The ranks of a data-parallel run (`SingleProcess` when alone).
    public let communicator: any Communicator
    /// `trainingDataFingerprint(examples)`, computed once.
    public let dataFingerprint: String
    /// Optimizer steps completed (and applied to the parameters).
    public internal(set) var completedSteps = 0
    /// Seconds spent by earlier parts of a resumed run.
    public internal(set) var elapsedBefore = 0.0
    /// The newest checkpoint saved by this run (or resumed from); named in NaN errors.
    public var lastCheckpoint: String?

    private let gradients: UnsafeMutablePointer<Float>
    /// The gradient's all-reduce overlapped with the backward pass, in a data-parallel run whose
    /// communicator allows it (nil: the whole gradient is summed after the backward pass).
    let overlappedReduction: OverlappedGradientReduction?
    private var epochBatches: (epoch: Int, batches: [[Int]])?
    private let started = Date()

    /// - Throws: `TrainingError.invalidInput` when there are no examples or one does not fit
    ///   the model (longer than its context, or a token outside its vocabulary).
    ///   Data-parallel runs also need `batchSize` to be a multiple of the number of ranks (every
    ///   rank runs the same number of sequences of each full micro-batch).
    public init(model: any TrainableModel, examples: any TrainingExampleSource, options: TrainingOptions,
                communicator: any Communicator = SingleProcess()) throws {
        let problems = options.problems()
        guard problems.isEmpty else { throw TrainingError.invalidInput(problems.joined(separator: "; ")) }
        guard options.batchSize % communicator.size == 0 else {
            throw TrainingError.invalidInput("--batch-size \(options.batchSize) is not a multiple of the \(communicator.size) ranks (the batch size is the global micro-batch, split evenly over the ranks)")
        }
        guard examples.count > 0 else { throw TrainingError.invalidInput("there are no training examples") }
        // One pass over the examples (a file's are read once, in order): check, fingerprint, tasks.
        var digest = TrainingDataDigest(count: examples.count)
        var position = 0
        var tasks = Set<String>()
        try examples.forEachExample { e in
            try Self.check(e, position, fit: model.info, what: "training example")
            digest.add(e)
            if let t = e.task { tasks.insert(t) }
            position += 1
        }
        self.tasks = tasks.sorted()
        self.model = model
        model.setActivationCheckpointing(options.checkpointActivations)
        self.options = options
        self.examples = examples
        self.communicator = communicator
        // Only batches grouped by length need every length in memory.
        plan = options.batchOrder == .groupedByLength
            ? TrainingPlan(lengths: try examples.allLengths(), options: options)
            : TrainingPlan(count: examples.count, options: options)
        schedule = options.learningRateSchedule(totalSteps: plan.totalSteps)
        optimizer = AdamW(store: model.parameters, hyperparameters: options.adamHyperparameters)
        dataFingerprint = digest.hex
        gradients = .allocate(capacity: max(1, model.parameters.count))
        overlappedReduction = communicator.size > 1 && communicator.allowsCollectivesFromAnotherThread && options.overlapAllReduce
            && model.parameters.matrixPrecision == .fp32
            ? OverlappedGradientReduction(parameters: model.parameters, gradients: gradients, communicator: communicator)
            : nil
    }

    deinit { gradients.deallocate() }

    /// The gradient of the last step (after clipping), laid out like the parameter arena.
    public var lastGradient: UnsafePointer<Float> { UnsafePointer(gradients) }

    /// Whether every planned step has run.
    public var isFinished: Bool { completedSteps >= plan.totalSteps }

    /// Seconds the run has taken so far (including earlier parts of a resumed run).
    public var elapsed: Double { elapsedBefore + Date().timeIntervalSince(started) }

    /// Checks that every example fits the model: within the context, tokens in the vocabulary.
    public static func check(_ examples: [TrainingExample], fit info: ModelInfo, what: String) throws {
        for (i, e) in examples.enumerated() { try check(e, i, fit: info, what: what) }
    }

    /// Checks example `i` (0-based; named 1-based).
    static func check(_ e: TrainingExample, _ i: Int, fit info: ModelInfo, what: String) throws {
        guard e.tokens.count <= info.contextLength else {
            throw TrainingError.invalidInput("\(what) \(i + 1) has \(e.tokens.count) tokens, more than the model's context of \(info.contextLength)")
        }
        if let bad = e.tokens.first(where: { $0 < 0 || Int($0) >= info.vocabularySize }) {
            throw TrainingError.invalidInput("\(what) \(i + 1) has token id \(bad), outside the model's vocabulary of \(info.vocabularySize) (does the tokenizer belong to this model?)")
        }
    }

    /// Runs the next optimizer step.
    public func step() throws -> StepMetrics {
        precondition(!isFinished, "every planned step has run")
        let stepStart = Date()
        let s = completedSteps
        let micro: ArraySlice<[Int]>
        if plan.batchOrder == .permuted {
            micro = ArraySlice(plan.permutedMicroBatches(ofStep: s))
        } else {
            let epoch = plan.epoch(ofStep: s)
            if epochBatches?.epoch != epoch { epochBatches = (epoch, plan.batches(epoch: epoch)) }
            micro = plan.microBatches(ofStep: s, epochBatches: epochBatches!.batches)
        }
        var targets = 0, tokens = 0
        for batch in micro {
            for i in batch {
                targets += examples.targetCount(i)
                tokens += examples.length(i)
            }
        }
        let count = model.parameters.count
        gradients.update(repeating: 0, count: max(1, count))
        // The mean over the step's target tokens (or examples); a step without any (every
        // response cut away cannot happen, but a loss on nothing must not divide by zero)
        // learns nothing.
        let weighted = micro.reduce(0) { $0 + $1.filter { examples.targetCount($0) > 0 }.count }
        let scale: Float
        switch options.lossWeighting {
        case .token: scale = targets > 0 ? Float(1.0 / Double(targets)) : 0
        case .example: scale = weighted > 0 ? Float(1.0 / Double(weighted)) : 0
        }
        var loss = LossSum()
        var ran: [TrainingExample] = []
        overlappedReduction?.begin()
        for (position, batch) in micro.enumerated() {
            let shard = DataParallelShard(batchCount: batch.count, rank: communicator.rank, ranks: communicator.size)
            guard !shard.positions.isEmpty else { continue }
            let mine = try examples.examples(shard.positions.map { batch[batch.startIndex + $0] })
            model.setRandomKey(SplitMix64.mix(options.seed ^ SplitMix64.mix(UInt64(s) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(position))),
                               firstRow: shard.firstRow(lengths: batch.lazy.map { self.examples.length($0) }))
            var b = TrainingBatch(examples: mine)
            if options.lossWeighting == .example { b.targetWeights = Self.exampleWeights(mine) }
            // The last micro-batch completes each layer's gradient: its sum can start at once.
            let afterLayer = position == micro.count - 1 ? overlappedReduction.map { r in { r.layerFinished($0) } } : nil
            loss = loss + (try model.accumulateGradients(b, scale: scale, into: gradients, afterLayer: afterLayer))
            ran += mine
        }
        var taskLoss = Self.taskLoss(ran, loss)
        var communication: Double?
        if communicator.size > 1 {
            let started = Date()
            if let overlappedReduction {
                try overlappedReduction.finish()
            } else {
                try communicator.allReduceSum(gradients: gradients, count: count)
            }
            (loss, taskLoss) = try Self.sumOverRanks(loss, taskSums: Self.taskSums(ran, loss), tasks: tasks, communicator)
            communication = Date().timeIntervalSince(started)
        }
        guard loss.sum.isFinite else { throw TrainingError.nonFinite(what: "loss", step: s + 1, lastCheckpoint: lastCheckpoint) }
        let norm = options.maxGradNorm > 0
            ? Double(clipGradNorm(gradients, count: count, maxNorm: Float(options.maxGradNorm)))
            : gradientL2Norm(gradients, count: count)
        guard norm.isFinite else { throw TrainingError.nonFinite(what: "gradient norm", step: s + 1, lastCheckpoint: lastCheckpoint) }
        let lr = schedule.learningRate(base: options.learningRate, atStep: s)
        optimizer.step(model.parameters, gradients: gradients, learningRate: lr)
        completedSteps = s + 1
        let seconds = Date().timeIntervalSince(stepStart)
        return StepMetrics(step: s + 1, epoch: plan.epochProgress(afterSteps: s + 1), loss: loss.mean, learningRate: lr,
                           gradNorm: norm, tokens: tokens, targetTokens: loss.tokens, seconds: seconds, elapsed: elapsed,
                           taskLoss: taskLoss, communicationSeconds: communication)
    }

    /// Per-position weights that make each example's tokens sum to one: 1 / (its target tokens).
    static func exampleWeights(_ examples: [TrainingExample]) -> [Float] {
        var w: [Float] = []
        w.reserveCapacity(examples.reduce(0) { $0 + $1.tokens.count })
        for e in examples {
            let each = e.targetCount > 0 ? Float(1.0 / Double(e.targetCount)) : 0
            w += repeatElement(each, count: e.tokens.count)
        }
        return w
    }

    /// Mean token loss per task of `examples`, given their losses in the same order; empty when
    /// the model did not report each sequence's loss or no example names a task.
    static func taskLoss(_ examples: [TrainingExample], _ loss: LossSum) -> [String: Double] {
        taskSums(examples, loss).mapValues { $0.loss / Double($0.tokens) }
    }

    /// Summed loss and target tokens per task of `examples` (see `taskLoss`).
    static func taskSums(_ examples: [TrainingExample], _ loss: LossSum) -> [String: (loss: Double, tokens: Int)] {
        guard loss.bySequence.count == examples.count else { return [:] }
        var sums: [String: (loss: Double, tokens: Int)] = [:]
        for (e, l) in zip(examples, loss.bySequence) {
            guard let task = e.task, e.targetCount > 0 else { continue }
            let s = sums[task] ?? (0, 0)
            sums[task] = (s.loss + l, s.tokens + e.targetCount)
        }
        return sums
    }

    /// The loss and per-task losses of all ranks from each rank's sums, in one collective:
    /// `[loss sum, target tokens, (task loss sum, task tokens) for each of tasks]`.
    static func sumOverRanks(_ loss: LossSum, taskSums: [String: (loss: Double, tokens: Int)], tasks: [String],
                             _ communicator: any Communicator) throws -> (LossSum, [String: Double]) {
        var values = [loss.sum, Double(loss.tokens)]
        for t in tasks { values += [taskSums[t]?.loss ?? 0, Double(taskSums[t]?.tokens ?? 0)] }
        let total = try communicator.allReduceSum(values)
        var byTask: [String: Double] = [:]
        for (i, t) in tasks.enumerated() where total[3 + 2 * i] > 0 { byTask[t] = total[2 + 2 * i] / total[3 + 2 * i] }
        return (LossSum(sum: total[0], tokens: Int(total[1]), bySequence: []), byTask)
    }

    /// The mean token loss over `validation` (forward only), in batches of `evalBatchSize`
    /// sequences taken longest first, so the result does not depend on the file's order.
    /// Data-parallel ranks take turns at the batches and sum their losses.
    public func validate(_ validation: any TrainingExampleSource) throws -> ValidationMetrics {
        let start = Date()
        let lengths = try validation.allLengths()
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        var loss = LossSum()
        var ran: [TrainingExample] = []
        for (i, first) in stride(from: 0, to: order.count, by: options.evalBatchSize).enumerated() where i % communicator.size == communicator.rank {
            let batch = try validation.examples(order[first..<min(order.count, first + options.evalBatchSize)])
            loss = loss + (try model.loss(TrainingBatch(examples: batch)))
            ran += batch
        }
        var taskLoss = Self.taskLoss(ran, loss)
        if communicator.size > 1 {
            (loss, taskLoss) = try Self.sumOverRanks(loss, taskSums: Self.taskSums(ran, loss), tasks: try validation.tasks(), communicator)
        }
        guard loss.sum.isFinite else { throw TrainingError.nonFinite(what: "validation loss", step: completedSteps, lastCheckpoint: lastCheckpoint) }
        return ValidationMetrics(step: completedSteps, epoch: plan.epochProgress(afterSteps: completedSteps), loss: loss.mean,
                                 tokens: loss.tokens, seconds: Date().timeIntervalSince(start), elapsed: elapsed, taskLoss: taskLoss)
    }
}
