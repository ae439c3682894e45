/// Training for Llama: the shared pre-norm training pass (`PreNormDecoder.step`) over the
/// block `Llama.swift` describes, and transformers' initialisation.
extension Llama: PreNormTrainableModel {
    public var preNormTraining: PreNormTrainingPass {
        PreNormTrainingPass(self, vocabularySize: config.vocabularySize, contextLength: config.maxPositions)
    }

    public var outputHeadParameter: String { Self.outputHead(config) }

    /// transformers' `PreTrainedModel._init_weights` (Llama adds nothing): `nn.Linear` and
    /// `nn.Embedding` weights normal(0, `initializer_range`, or 0.02 when it is 0), biases 0,
    /// RMSNorm weights 1.
    public func initializeParameters(seed: UInt64) {
        ParameterInitialization.decoder(parameters, seed: seed, initializerRange: config.initializerRange, norm: .ones) {
            $0.hasSuffix("norm.weight")
        }
    }
}
