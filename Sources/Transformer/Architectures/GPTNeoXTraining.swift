/// Training for GPT-NeoX: the shared pre-norm training pass (`PreNormDecoder.step`) over the
/// block `GPTNeoX.swift` describes, and transformers' initialisation.
extension GPTNeoX: TrainableModel {
    public func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.maxPositions, gradients: gradients, scale: scale)
    }

    public func setActivationCheckpointing(_ on: Bool) { training.checkpointActivations = on }

    /// Full training draws nothing at random (no dropout).
    public func setRandomKey(_ key: UInt64, firstRow: Int) {}

    public func loss(_ batch: TrainingBatch) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.maxPositions, gradients: nil)
    }

    /// transformers' `PreTrainedModel._init_weights` (GPT-NeoX adds nothing): `nn.Linear` and
    /// `nn.Embedding` weights normal(0, `initializer_range`, or 0.02 when it is 0), biases 0,
    /// LayerNorm weights 1 and biases 0.
    public var outputHeadParameter: String { Self.outputHead(config) }

    public func initializeParameters(seed: UInt64) {
        let std = config.initializerRange == 0 ? 0.02 : config.initializerRange
        ParameterInitialization.fill(parameters, seed: seed) { spec in
            if spec.name.hasSuffix(".bias") { return .zeros }
            if spec.name.hasSuffix("layernorm.weight") || spec.name.hasSuffix("layer_norm.weight") { return .ones }
            return .normal(standardDeviation: std)
        }
    }
}
