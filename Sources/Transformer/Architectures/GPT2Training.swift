import Foundation

/// Training for GPT-2: the shared pre-LayerNorm decoder pass (`PreNormDecoder`) with the
/// sequential residual, learned positions, and the token embedding's gradient collecting the
/// tied output head's.
extension GPT2: TrainableModel, PreNormTrainable {
    public func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.positions, gradients: gradients, scale: scale)
    }

    public func loss(_ batch: TrainingBatch) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.positions, gradients: nil)
    }

    /// transformers' `GPT2PreTrainedModel._init_weights`: embeddings normal(0,
    /// `initializer_range`, or 0.02 when it is 0, as the base rule reads it), Conv1D weights
    /// normal(0, `initializer_range`), and the two residual projections (`attn.c_proj`,
    /// `mlp.c_proj`) re-drawn with σ / √(2·n_layer), GPT-2's scaling for the residual path's
    /// depth; biases 0, LayerNorm weights 1.
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

    var trainingShape: PreNormDecoder.Shape {
        PreNormDecoder.Shape(hidden: config.hiddenSize, intermediate: config.innerSize, vocabulary: config.vocabularySize,
                               norm: .layerNorm, eps: config.layerNormEps, activation: config.activation, gated: false,
                               parallelResidual: false, rotary: nil,
                               attention: (0..<config.layers).map { attentionShape(layer: $0) })
    }

    private static let blockNames: [String] = [
        "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
        "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
    ]

    /// Parameter pointers into `buffer` (the parameters themselves or their gradients).
    func trainingWeights(in buffer: UnsafeMutablePointer<Float>) -> PreNormDecoder.Weights {
        let p = parameters
        return PreNormDecoder.Weights(
            blocks: (0..<config.layers).map { l in
                PreNormDecoder.Block(p, in: buffer, names: Self.blockNames.map { "transformer.h.\(l)." + $0 })
            },
            finalNormWeight: p.pointer("transformer.ln_f.weight", in: buffer),
            head: p.pointer("transformer.wte.weight", in: buffer),
            finalNormBias: p.pointer("transformer.ln_f.bias", in: buffer))
    }

    func embeddings(gradients: UnsafeMutablePointer<Float>?) -> PreNormDecoder.Embeddings {
        let d = config.hiddenSize
        let wte = parameters.pointer("transformer.wte.weight"), wpe = parameters.pointer("transformer.wpe.weight")
        let dWte = gradients.map { parameters.pointer("transformer.wte.weight", in: $0) }
        let dWpe = gradients.map { parameters.pointer("transformer.wpe.weight", in: $0) }
        return PreNormDecoder.Embeddings(
            embed: { tokens, positions, count, x in
                Embedding.gather(wte, indices: tokens, count: count, width: d, into: x)
                Embedding.gather(wpe, indices: positions, count: count, width: d, into: x, accumulate: true)
            },
            embedBackward: { tokens, positions, count, dx in
                guard let dWte, let dWpe else { return }
                Embedding.scatterAdd(dx, indices: tokens, count: count, width: d, into: dWte)
                Embedding.scatterAdd(dx, indices: positions, count: count, width: d, into: dWpe)
            })
    }
}
