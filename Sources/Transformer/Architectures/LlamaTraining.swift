/// Training for Llama: the shared pre-norm decoder pass (`PreNormDecoder`) with RMSNorm, the
/// gated (SwiGLU) MLP, full-head rotary embedding and grouped-query attention; biases only
/// where the config asks for them (`attention_bias`, `mlp_bias`).
extension Llama: TrainableModel, PreNormTrainable {
    public func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.maxPositions, gradients: gradients, scale: scale)
    }

    public func loss(_ batch: TrainingBatch) throws -> LossSum {
        try preNormStep(batch, vocabularySize: config.vocabularySize, contextLength: config.maxPositions, gradients: nil)
    }

    /// transformers' `PreTrainedModel._init_weights` (Llama adds nothing): `nn.Linear` and
    /// `nn.Embedding` weights normal(0, `initializer_range`, or 0.02 when it is 0), biases 0,
    /// RMSNorm weights 1.
    public func initializeParameters(seed: UInt64) {
        let std = config.initializerRange == 0 ? 0.02 : config.initializerRange
        ParameterInitialization.fill(parameters, seed: seed) { spec in
            if spec.name.hasSuffix(".bias") { return .zeros }
            if spec.name.hasSuffix("norm.weight") { return .ones }
            return .normal(standardDeviation: std)
        }
    }

    var trainingShape: PreNormDecoder.Shape {
        PreNormDecoder.Shape(hidden: config.hiddenSize, intermediate: config.intermediateSize,
                             vocabulary: config.vocabularySize, norm: .rms(offset: 0), eps: config.rmsNormEps,
                             activation: config.activation, gated: true, parallelResidual: false, rotary: rotary,
                             attention: Array(repeating: attention, count: config.layers))
    }

    /// Parameter pointers into `buffer` (the parameters themselves or their gradients). q, k
    /// and v (and gate and up) lie one after another in the arena, so the first of each names
    /// the fused matrix.
    func trainingWeights(in buffer: UnsafeMutablePointer<Float>) -> PreNormDecoder.Weights {
        let p = parameters, c = config
        return PreNormDecoder.Weights(
            blocks: (0..<c.layers).map { l in
                let prefix = "model.layers.\(l)."
                let names: [String?] = [
                    "input_layernorm.weight", nil,
                    "self_attn.q_proj.weight", c.attentionBias ? "self_attn.q_proj.bias" : nil,
                    "self_attn.o_proj.weight", c.attentionBias ? "self_attn.o_proj.bias" : nil,
                    "post_attention_layernorm.weight", nil,
                    "mlp.gate_proj.weight", c.mlpBias ? "mlp.gate_proj.bias" : nil,
                    "mlp.down_proj.weight", c.mlpBias ? "mlp.down_proj.bias" : nil,
                ]
                return PreNormDecoder.Block(p, in: buffer, names: names.map { $0.map { prefix + $0 } })
            },
            finalNormWeight: p.pointer("model.norm.weight", in: buffer),
            head: p.pointer(c.tiedHead ? "model.embed_tokens.weight" : "lm_head.weight", in: buffer),
            finalNormBias: nil)
    }

    func embeddings(gradients: UnsafeMutablePointer<Float>?) -> PreNormDecoder.Embeddings {
        let d = config.hiddenSize
        let table = parameters.pointer("model.embed_tokens.weight")
        let dTable = gradients.map { parameters.pointer("model.embed_tokens.weight", in: $0) }
        return PreNormDecoder.Embeddings(
            embed: { tokens, _, count, x in Embedding.gather(table, indices: tokens, count: count, width: d, into: x) },
            embedBackward: { tokens, _, count, dx in
                guard let dTable else { return }
                Embedding.scatterAdd(dx, indices: tokens, count: count, width: d, into: dTable)
            })
    }
}
