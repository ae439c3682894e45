/// Training for Gemma-2: the shared pre-norm training pass (`PreNormDecoder.step`) over the
/// block `Gemma2.swift` describes, and transformers' initialisation.
extension Gemma2: PreNormTrainableModel {
    public var preNormTraining: PreNormTrainingPass {
        PreNormTrainingPass(self, vocabularySize: config.vocabularySize, contextLength: config.maxPositions)
    }

    /// The head is always the token table (Gemma-2 ties them).
    public var outputHeadParameter: String { Self.outputHead(config) }

    /// transformers' `Gemma2PreTrainedModel._init_weights`: `nn.Linear` and `nn.Embedding`
    /// weights normal(0, `initializer_range`, or 0.02 when it is 0), biases 0, and RMSNorm
    /// weights 0, because Gemma's norm multiplies by `1 + weight`.
    public func initializeParameters(seed: UInt64) {
        ParameterInitialization.decoder(parameters, seed: seed, initializerRange: config.initializerRange, norm: .zeros) {
            $0.hasSuffix("norm.weight")
        }
    }
}
