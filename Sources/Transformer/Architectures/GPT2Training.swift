import Foundation

/// Training for GPT-2: the shared pre-norm training pass (`PreNormDecoder.step`) over the
/// block `GPT2.swift` describes, and transformers' initialisation.
extension GPT2: PreNormTrainableModel {
    public var preNormTraining: PreNormTrainingPass {
        PreNormTrainingPass(self, vocabularySize: config.vocabularySize, contextLength: config.positions)
    }

    /// transformers' `GPT2PreTrainedModel._init_weights`: embeddings normal(0,
    /// `initializer_range`, or 0.02 when it is 0, as the base rule reads it), Conv1D weights
    /// normal(0, `initializer_range`), and the two residual projections (`attn.c_proj`,
    /// `mlp.c_proj`) re-drawn with σ / √(2·n_layer), GPT-2's scaling for the residual path's
    /// depth; biases 0, LayerNorm weights 1.
    public var outputHeadParameter: String { Self.outputHead(config) }

    public func initializeParameters(seed: UInt64) {
        let range = config.initializerRange
        let embeddingStd = range == 0 ? 0.02 : range
        let projectionStd = range / (2 * Double(config.layers)).squareRoot()
        ParameterInitialization.fill(parameters, seed: seed) { spec in
            let name = spec.name
            if name.hasSuffix(".bias") { return .zeros }
            if name.contains(".ln_") { return .ones }
            if name == "transformer.wte.weight" || name == "transformer.wpe.weight" { return .normal(standardDeviation: embeddingStd) }
            if name.hasSuffix("c_proj.weight") { return .normal(standardDeviation: projectionStd) }
            return .normal(standardDeviation: range)
        }
    }
}
