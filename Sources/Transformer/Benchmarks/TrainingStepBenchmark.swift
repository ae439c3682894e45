import Foundation

/// Times full training steps (forward, backward, gradient clipping, AdamW) of a model on random
/// tokens: what `c2s lm bench-train` and bench/train/run.sh measure.
///
/// Each step takes a fresh batch of `batch` random sequences of `tokens` tokens (seeded), with
/// the loss on every token, the gradient clipped to norm 1 and AdamW at `learningRate`; the
/// first `warmup` steps are not timed.
public struct TrainingStepBenchmark {
    public struct Settings: Sendable {
        public var batch = 8
        public var tokens = 256
        public var steps = 5
        public var warmup = 1
        public var seed: UInt64 = 0
        public var learningRate = 1e-4
        /// Train LoRA adapters of this rank on `loraTargets` instead of all weights.
        public var loraRank: Int?
        public var loraTargets = [LoRAConfiguration.allLinear]
        public var checkpointActivations = false

        public init() {}
    }

    public struct Result: Sendable {
        /// Parameters of the whole model, and of what was trained (the adapters for LoRA).
        public var parameters: Int
        public var trainableParameters: Int
        public var tokensPerStep: Int
        public var forwardBackwardSeconds: Double
        public var optimizerSeconds: Double
        /// Each timed step's seconds and loss.
        public var stepSeconds: [Double]
        public var losses: [Double]

        public var seconds: Double { forwardBackwardSeconds + optimizerSeconds }
        public var tokensPerSecond: Double { Double(tokensPerStep * stepSeconds.count) / seconds }
    }

    /// Runs the benchmark on `model`; `initialize` (a model built from a config) gives it seeded
    /// random weights first.
    public static func run(_ model: any CausalLanguageModel, initialize: Bool, settings s: Settings) throws -> Result {
        guard ArchitectureRegistry.architecture(model.info.modelType)?.trainable == true, let full = model as? any TrainableModel else {
            throw ModelError.input("model_type \(model.info.modelType) cannot be trained (trainable: \(ArchitectureRegistry.trainableTypes.joined(separator: ", ")))")
        }
        if initialize { full.initializeParameters(seed: s.seed) }
        var m: any TrainableModel = full
        if let rank = s.loraRank {
            let adapted = try LowRankAdaptedModel(base: full, configuration: LoRAConfiguration(rank: rank, targets: s.loraTargets))
            adapted.initializeParameters(seed: s.seed)
            m = adapted
        }
        m.setActivationCheckpointing(s.checkpointActivations)
        guard s.tokens <= m.info.contextLength else {
            throw ModelError.input("--tokens \(s.tokens) is longer than the model's context of \(m.info.contextLength)")
        }
        let count = m.parameters.count
        let gradients = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { gradients.deallocate() }
        let optimizer = AdamW(store: m.parameters)
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

        var result = Result(parameters: full.parameters.count, trainableParameters: count, tokensPerStep: s.batch * s.tokens,
                            forwardBackwardSeconds: 0, optimizerSeconds: 0, stepSeconds: [], losses: [])
        for step in 0..<(s.warmup + s.steps) {
            let batch = randomBatch(step: step, settings: s, vocabulary: m.info.vocabularySize)
            let t0 = now()
            gradients.update(repeating: 0, count: count)
            let loss = try m.accumulateGradients(batch, scale: Float(1 / Double(batch.targetCount)), into: gradients)
            let t1 = now()
            clipGradNorm(gradients, count: count, maxNorm: 1)
            optimizer.step(m.parameters, gradients: gradients, learningRate: s.learningRate)
            let t2 = now()
            guard loss.mean.isFinite else { throw ModelError.input("the loss is not finite at step \(step)") }
            if step >= s.warmup {
                result.forwardBackwardSeconds += t1 - t0
                result.optimizerSeconds += t2 - t1
                result.stepSeconds.append(t2 - t0)
                result.losses.append(loss.mean)
            }
        }
        return result
    }

    /// Step `step`'s batch: seeded random tokens, each position predicting the next token of its
    /// sequence (the last one nothing).
    static func randomBatch(step: Int, settings s: Settings, vocabulary: Int) -> TrainingBatch {
        let random = CounterRandom(seed: s.seed)
        var ids: [Int32] = []
        ids.reserveCapacity(s.batch * s.tokens)
        for sequence in 0..<s.batch {
            for i in 0..<s.tokens {
                let u = random.uniform(sequence: step * s.batch + sequence, step: i)
                ids.append(Int32(min(vocabulary - 1, Int(u * Double(vocabulary)))))
            }
        }
        var targets = ids
        for sequence in 0..<s.batch {
            for i in 0..<s.tokens {
                targets[sequence * s.tokens + i] = i + 1 < s.tokens ? ids[sequence * s.tokens + i + 1] : TrainingBatch.ignored
            }
        }
        return TrainingBatch(tokens: ids, lengths: Array(repeating: s.tokens, count: s.batch), targets: targets)
    }
}
