import Foundation

/// Llama: RMSNorm, separate q/k/v projections (grouped-query attention), rotary embedding on
/// the whole head, SwiGLU MLP. q/k/v and gate/up are declared one after another so each pair
/// forms one fused matrix in the parameter arena.
public final class Llama: CausalLanguageModel, @unchecked Sendable {
    public struct Config: Sendable {
        public var vocabularySize, hiddenSize, layers, heads, keyValueHeads, headDim, intermediateSize, maxPositions: Int
        public var rmsNormEps: Float
        public var ropeBase, ropeLinearScaling: Float
        public var attentionBias, mlpBias, tiedHead: Bool
        public var activation: Activation
        /// Standard deviation of the initial weights when training from scratch.
        public var initializerRange: Double

        public init(_ file: ConfigFile) throws {
            vocabularySize = try file.size("vocab_size", default: 32000, limit: ConfigLimits.vocabulary)
            hiddenSize = try file.size("hidden_size", default: 4096, limit: ConfigLimits.dimension)
            layers = try file.size("num_hidden_layers", default: 32, limit: ConfigLimits.layers)
            heads = try file.size("num_attention_heads", default: 32, limit: ConfigLimits.layers)
            keyValueHeads = try file.size("num_key_value_heads", default: heads, limit: ConfigLimits.layers)
            if file.values["head_dim"] == nil || file.values["head_dim"] is NSNull, heads > hiddenSize {
                throw ModelError.invalidConfig(file.url, "num_attention_heads \(heads) is more than hidden_size \(hiddenSize), leaving heads of no width (and no head_dim is given)")
            }
            headDim = try file.size("head_dim", default: hiddenSize / heads, limit: ConfigLimits.dimension)
            intermediateSize = try file.size("intermediate_size", default: 11008, limit: ConfigLimits.dimension)
            maxPositions = try file.size("max_position_embeddings", default: 2048, limit: ConfigLimits.positions)
            guard heads % keyValueHeads == 0 else {
                throw ModelError.invalidConfig(file.url, "num_attention_heads \(heads) is not a multiple of num_key_value_heads \(keyValueHeads)")
            }
            rmsNormEps = Float(try file.positiveFinite("rms_norm_eps", default: 1e-6))
            let rope = try file.rope(defaultBase: 10000, baseKeys: ["rope_theta"])
            guard headDim % 2 == 0 else {
                throw ModelError.invalidConfig(file.url, "head_dim \(headDim) is odd; rotary embedding rotates pairs of dimensions, so it must be even")
            }
            ropeBase = Float(rope.base)
            ropeLinearScaling = Float(rope.linearScaling)
            attentionBias = try file.bool("attention_bias", default: false)
            mlpBias = try file.bool("mlp_bias", default: false)
            tiedHead = try file.bool("tie_word_embeddings", default: false)
            activation = try file.activation("hidden_act", default: "silu")
            initializerRange = try file.nonNegativeFinite("initializer_range", default: 0.02)
        }
    }

    public let config: Config
    public let info: ModelInfo
    public let parameters: ParameterStore
    let attention: AttentionShape
    let rotary: Rotary
    /// One pass at a time, inference or training.
    let lock = NSLock()
    /// Activations and scratch of training passes.
    let training = TrainingWorkspace()
    /// Buffers of inference passes.
    let inference = PreNormDecoder.InferenceState()

    public static func specs(_ c: Config) -> [ParameterSpec] {
        let d = c.hiddenSize, f = c.intermediateSize, q = c.heads * c.headDim, kv = c.keyValueHeads * c.headDim
        var specs = [ParameterSpec("model.embed_tokens.weight", [c.vocabularySize, d])]
        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            specs += [
                ParameterSpec(p + "input_layernorm.weight", [d]), ParameterSpec(p + "post_attention_layernorm.weight", [d]),
            ]
            specs += GatedLayerSpecs.projections(p, hidden: d, queryWidth: q, keyValueWidth: kv, intermediate: f,
                                                 attentionBias: c.attentionBias, mlpBias: c.mlpBias)
        }
        specs.append(ParameterSpec("model.norm.weight", [d]))
        if !c.tiedHead { specs.append(ParameterSpec("lm_head.weight", [c.vocabularySize, d])) }
        return specs
    }

    /// Empty parameters, matrices kept in `matrices` precision; `ModelLoader` fills them from a
    /// checkpoint.
    public init(config: Config, file: ConfigFile, matrices: MatrixPrecision = .fp32) {
        self.config = config
        let kv = config.keyValueHeads * config.headDim
        info = ModelInfo(modelType: "llama", vocabularySize: config.vocabularySize, hiddenSize: config.hiddenSize, layers: config.layers,
                         keyValueWidth: kv, contextLength: config.maxPositions,
                         bosTokenIDs: file.tokenIDs("bos_token_id"), eosTokenIDs: file.tokenIDs("eos_token_id"),
                         padTokenID: file.tokenIDs("pad_token_id").first)
        parameters = ParameterStore(specs: Self.specs(config), matrices: matrices, outputHead: Self.outputHead(config))
        attention = AttentionShape(queryHeads: config.heads, keyValueHeads: config.keyValueHeads, headDim: config.headDim,
                                   scale: 1 / Float(config.headDim).squareRoot())
        rotary = Rotary(headDim: config.headDim, rotaryDims: config.headDim, base: config.ropeBase, linearScaling: config.ropeLinearScaling)
    }
}

/// Llama's block, as both passes read it: RMSNorm, fused `[Q | K | V]` (grouped-query), full
/// rotary, gated MLP, sequential residual, biases only where the config asks for them.
extension Llama: PreNormModel {
    /// The shared pre-norm inference pass (`PreNormDecoder.infer`) over this block.
    public func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        try preNormForward(batch, cache: cache, logits: logits, hiddenStates: hiddenStates)
    }

    var decoderShape: PreNormDecoder.Shape {
        PreNormDecoder.Shape(hidden: config.hiddenSize, intermediate: config.intermediateSize,
                             vocabulary: config.vocabularySize, norm: .rms(offset: 0), eps: config.rmsNormEps,
                             activation: config.activation, gated: true, parallelResidual: false, rotary: rotary,
                             attention: Array(repeating: attention, count: config.layers))
    }

    /// The block parameters by name, resolved by `r` (pointers or resident matrices). q, k
    /// and v (and gate and up) lie one after another in the arena, so the first of each names
    /// the fused matrix.
    func decoderWeights<Matrix>(_ r: PreNormDecoder.WeightResolver<Matrix>) -> PreNormDecoder.WeightsOf<Matrix> {
        let c = config
        return PreNormDecoder.WeightsOf(
            blocks: (0..<c.layers).map { l in
                let prefix = "model.layers.\(l)."
                let names = GatedLayerSpecs.blockNames(attentionBias: c.attentionBias, mlpBias: c.mlpBias,
                                                       mlpNorm: "post_attention_layernorm.weight")
                return PreNormDecoder.BlockOf(r, names: names.map { $0.map { prefix + $0 } })
            },
            finalNormWeight: r.vector("model.norm.weight"),
            head: r.matrix(outputHeadParameter),
            finalNormBias: nil)
    }

    func embeddings(gradients: UnsafeMutablePointer<Float>?) -> PreNormDecoder.Embeddings {
        .tokenTable(parameters, "model.embed_tokens.weight", width: config.hiddenSize, gradients: gradients)
    }
}

extension Llama {
    /// Llama's registry entry: the rotary buffer and a tied head stored anyway are not
    /// parameters.
    public static let architecture = Architecture(
        modelType: "llama", make: { Llama(config: try Llama.Config($0), file: $0, matrices: $1) },
        layout: { file in
            let c = try Llama.Config(file)
            return ModelLayout(specs: Llama.specs(c), agreement: .gated(
                layers: c.layers, vocabulary: c.vocabularySize, hidden: c.hiddenSize, intermediate: c.intermediateSize,
                heads: c.heads, keyValueHeads: c.keyValueHeads, headDim: c.headDim))
        },
        ignoredTensors: ["rotary_emb.inv_freq", "lm_head.weight"], trainable: true)
}

extension Llama {
    /// The parameter the logits are computed with (the token table when the head is tied).
    static func outputHead(_ c: Config) -> String { c.tiedHead ? "model.embed_tokens.weight" : "lm_head.weight" }
}
