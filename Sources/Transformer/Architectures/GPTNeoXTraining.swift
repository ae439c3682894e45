/// Training for GPT-NeoX: the shared pre-LayerNorm decoder pass (`PreNormDecoder`) with
/// rotary embedding, the parallel or sequential residual, and the token embedding's gradient
/// (which also collects the output head's when the head is tied).
extension GPTNeoX: TrainableModel, PreNormTrainable {
    public func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.maxPositions, gradients: gradients, scale: scale)
    }

    public func loss(_ batch: TrainingBatch) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.maxPositions, gradients: nil)
    }

    /// transformers' `PreTrainedModel._init_weights` (GPT-NeoX adds nothing): `nn.Linear` and
    /// `nn.Embedding` weights normal(0, `initializer_range`, or 0.02 when it is 0), biases 0,
    /// LayerNorm weights 1 and biases 0.
    public func initializeParameters(seed: UInt64) {
        let std = config.initializerRange == 0 ? 0.02 : config.initializerRange
        ParameterInitialization.fill(parameters, seed: seed) { spec in
            if spec.name.hasSuffix(".bias") { return .zeros }
            if spec.name.hasSuffix("layernorm.weight") || spec.name.hasSuffix("layer_norm.weight") { return .ones }
            return .normal(standardDeviation: std)
        }
    }

    var trainingShape: PreNormDecoder.Shape {
        PreNormDecoder.Shape(hidden: config.hiddenSize, intermediate: config.intermediateSize,
                               vocabulary: config.vocabularySize, norm: .layerNorm, eps: config.layerNormEps,
                               activation: config.activation, gated: false,
                               parallelResidual: config.parallelResidual, rotary: rotary,
                               attention: Array(repeating: attention, count: config.layers))
    }

    private static let blockNames: [String] = [
        "input_layernorm.weight", "input_layernorm.bias", "attention.query_key_value.weight", "attention.query_key_value.bias",
        "attention.dense.weight", "attention.dense.bias", "post_attention_layernorm.weight", "post_attention_layernorm.bias",
        "mlp.dense_h_to_4h.weight", "mlp.dense_h_to_4h.bias", "mlp.dense_4h_to_h.weight", "mlp.dense_4h_to_h.bias",
    ]

    /// Parameter pointers into `buffer` (the parameters themselves or their gradients).
    func trainingWeights(in buffer: UnsafeMutablePointer<Float>) -> PreNormDecoder.Weights {
        let p = parameters
        return PreNormDecoder.Weights(
            blocks: (0..<config.layers).map { l in
                PreNormDecoder.Block(p, in: buffer, names: Self.blockNames.map { "gpt_neox.layers.\(l)." + $0 })
            },
            finalNormWeight: p.pointer("gpt_neox.final_layer_norm.weight", in: buffer),
            head: p.pointer(config.tiedHead ? "gpt_neox.embed_in.weight" : "embed_out.weight", in: buffer),
            finalNormBias: p.pointer("gpt_neox.final_layer_norm.bias", in: buffer))
    }

    func embeddings(gradients: UnsafeMutablePointer<Float>?) -> PreNormDecoder.Embeddings {
        let d = config.hiddenSize
        let table = parameters.pointer("gpt_neox.embed_in.weight")
        let dTable = gradients.map { parameters.pointer("gpt_neox.embed_in.weight", in: $0) }
        return PreNormDecoder.Embeddings(
            embed: { tokens, _, count, x in Embedding.gather(table, indices: tokens, count: count, width: d, into: x) },
            embedBackward: { tokens, _, count, dx in
                guard let dTable else { return }
                Embedding.scatterAdd(dx, indices: tokens, count: count, width: d, into: dTable)
            })
    }
}
