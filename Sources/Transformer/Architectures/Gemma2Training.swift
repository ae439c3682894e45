extension Gemma2: TrainableModel {
    public func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.maxPositions, gradients: gradients, scale: scale)
    }

    public func setActivationCheckpointing(_ on: Bool) { training.checkpointActivations = on }

    /// Full training draws nothing at random (no dropout).
    public func setRandomKey(_ key: UInt64, firstRow: Int) {}

    public func loss(_ batch: TrainingBatch) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.maxPositions, gradients: nil)
    }

    /// The head is always the token table (Gemma-2 ties them).
    public var outputHeadParameter: String { Self.outputHead(config) }

    /// transformers' `Gemma2PreTrainedModel._init_weights`: `nn.Linear` and `nn.Embedding`
    /// weights normal(0, `initializer_range`), biases 0, and RMSNorm weights 0, because
    /// Gemma's norm multiplies by `1 + weight`.
    public func initializeParameters(seed: UInt64) {
        let std = config.initializerRange == 0 ? 0.02 : config.initializerRange
        ParameterInitialization.fill(parameters, seed: seed) { spec in
            if spec.name.hasSuffix(".bias") || spec.name.hasSuffix("norm.weight") { return .zeros }
            return .normal(standardDeviation: std)
        }
    }
}
