/// Training for GPT-NeoX: the shared pre-norm training pass (`PreNormDecoder.step`) over the
/// block `GPTNeoX.swift` describes, and transformers' initialisation.
extension GPTNeoX: PreNormTrainableModel {
    public var preNormTraining: PreNormTrainingPass {
        PreNormTrainingPass(self, vocabularySize: config.vocabularySize, contextLength: config.maxPositions)
    }

    public var outputHeadParameter: String { Self.outputHead(config) }

    /// transformers' `PreTrainedModel._init_weights` (GPT-NeoX adds nothing): `nn.Linear` and
    /// `nn.Embedding` weights normal(0, `initializer_range`, or 0.02 when it is 0), biases 0,
    /// LayerNorm weights 1 and biases 0.
    public func initializeParameters(seed: UInt64) {
        ParameterInitialization.decoder(parameters, seed: seed, initializerRange: config.initializerRange, norm: .ones) {
            $0.hasSuffix("layernorm.weight") || $0.hasSuffix("layer_norm.weight")
        }
    }
}
