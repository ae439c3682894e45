import Foundation

/// Gemma-2 (C2S-Scale): RMSNorm with `(1 + w)`, embeddings scaled by `√hidden`, norms before
/// and after both attention and MLP, GeGLU MLP, attention scale `query_pre_attn_scalar^-½`,
/// attention and final logit soft-caps, sliding-window attention on the layers `layer_types`
/// names (alternate layers by default), grouped-query attention, tied output head.
public final class Gemma2: CausalLanguageModel, @unchecked Sendable {
    public struct Config: Sendable {
        public var vocabularySize, hiddenSize, layers, heads, keyValueHeads, headDim, intermediateSize, maxPositions: Int
        public var rmsNormEps: Float
        public var ropeBase, ropeLinearScaling: Float
        public var queryPreAttentionScalar: Float
        public var attentionSoftCap, finalSoftCap: Float?
        public var slidingWindow: Int?
        public var slidingLayers: [Bool]
        public var attentionBias: Bool
        public var activation: Activation
        /// Standard deviation of the initial weights when training from scratch.
        public var initializerRange: Double

        public init(_ file: ConfigFile) throws {
            vocabularySize = try file.size("vocab_size", default: 256000, limit: ConfigLimits.vocabulary)
            hiddenSize = try file.size("hidden_size", default: 2304, limit: ConfigLimits.dimension)
            layers = try file.size("num_hidden_layers", default: 26, limit: ConfigLimits.layers)
            heads = try file.size("num_attention_heads", default: 8, limit: ConfigLimits.layers)
            keyValueHeads = try file.size("num_key_value_heads", default: 4, limit: ConfigLimits.layers)
            headDim = try file.size("head_dim", default: 256, limit: ConfigLimits.dimension)
            intermediateSize = try file.size("intermediate_size", default: 9216, limit: ConfigLimits.dimension)
            maxPositions = try file.size("max_position_embeddings", default: 8192, limit: ConfigLimits.positions)
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
            queryPreAttentionScalar = Float(try file.positiveFinite("query_pre_attn_scalar", default: 256))
            // Absent means Gemma 2's defaults; null means none (no capping, no window).
            attentionSoftCap = (file.values["attn_logit_softcapping"] == nil) ? 50 : (try file.optionalPositiveFinite("attn_logit_softcapping")).map(Float.init)
            finalSoftCap = (file.values["final_logit_softcapping"] == nil) ? 30 : (try file.optionalPositiveFinite("final_logit_softcapping")).map(Float.init)
            slidingWindow = (file.values["sliding_window"] == nil) ? 4096 : try file.optionalSize("sliding_window", limit: Int(Int32.max))
            if let types = file.values["layer_types"] as? [String] {
                guard types.count == layers else {
                    throw ModelError.invalidConfig(file.url, "layer_types lists \(types.count) layers but num_hidden_layers is \(layers)")
                }
                slidingLayers = try types.map { type in
                    switch type {
                    case "sliding_attention": return true
                    case "full_attention": return false
                    default: throw ModelError.invalidConfig(file.url, "layer_types holds \"\(type)\" (expected sliding_attention or full_attention)")
                    }
                }
            } else if let other = file.values["layer_types"], !(other is NSNull) {
                throw ModelError.invalidConfig(file.url, "key \"layer_types\" must be a list of sliding_attention or full_attention, found \(other)")
            } else {
                // transformers' default: layers 0, 2, 4, ... slide.
                slidingLayers = (0..<layers).map { ($0 + 1) % 2 == 1 }
            }
            attentionBias = try file.bool("attention_bias", default: false)
            activation = try file.activation("hidden_activation", default: try file.string("hidden_act", default: "gelu_pytorch_tanh"))
            initializerRange = try file.nonNegativeFinite("initializer_range", default: 0.02)
        }
    }

    public let config: Config
    public let info: ModelInfo
    public let parameters: ParameterStore
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
                ParameterSpec(p + "pre_feedforward_layernorm.weight", [d]), ParameterSpec(p + "post_feedforward_layernorm.weight", [d]),
            ]
            specs += GatedLayerSpecs.projections(p, hidden: d, queryWidth: q, keyValueWidth: kv, intermediate: f,
                                                 attentionBias: c.attentionBias, mlpBias: false)
        }
        specs.append(ParameterSpec("model.norm.weight", [d]))
        return specs
    }

    /// Empty parameters, matrices kept in `matrices` precision; `ModelLoader` fills them from a
    /// checkpoint.
    public init(config: Config, file: ConfigFile, matrices: MatrixPrecision = .fp32) {
        self.config = config
        let kv = config.keyValueHeads * config.headDim
        info = ModelInfo(modelType: "gemma2", vocabularySize: config.vocabularySize, hiddenSize: config.hiddenSize, layers: config.layers,
                         keyValueWidth: kv, contextLength: config.maxPositions,
                         bosTokenIDs: file.tokenIDs("bos_token_id"), eosTokenIDs: file.tokenIDs("eos_token_id"),
                         padTokenID: file.tokenIDs("pad_token_id").first)
        parameters = ParameterStore(specs: Self.specs(config), matrices: matrices, outputHead: Self.outputHead(config))
        rotary = Rotary(headDim: config.headDim, rotaryDims: config.headDim, base: config.ropeBase, linearScaling: config.ropeLinearScaling)
    }

    func attentionShape(layer: Int) -> AttentionShape {
        let c = config
        return AttentionShape(queryHeads: c.heads, keyValueHeads: c.keyValueHeads, headDim: c.headDim,
                              scale: 1 / c.queryPreAttentionScalar.squareRoot(), softCap: c.attentionSoftCap,
                              window: c.slidingLayers[layer] ? c.slidingWindow : nil)
    }
}

/// Gemma-2's block, as both passes read it: RMSNorm `(1 + w)` before and after both branches
/// (the sandwich), fused `[Q | K | V]` (grouped-query) with full rotary, soft-capped and, on
/// alternate layers, sliding-window attention, GeGLU MLP, sequential residual, the tied head's
/// logits soft-capped.
extension Gemma2: PreNormModel {
    /// The shared pre-norm inference pass (`PreNormDecoder.infer`) over this block.
    public func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        try preNormForward(batch, cache: cache, logits: logits, hiddenStates: hiddenStates)
    }

    var decoderShape: PreNormDecoder.Shape {
        PreNormDecoder.Shape(hidden: config.hiddenSize, intermediate: config.intermediateSize,
                             vocabulary: config.vocabularySize, norm: .rms(offset: 1), eps: config.rmsNormEps,
                             activation: config.activation, gated: true, parallelResidual: false, rotary: rotary,
                             attention: (0..<config.layers).map(attentionShape(layer:)),
                             postNorms: true, finalSoftCap: config.finalSoftCap)
    }

    /// The block parameters by name, resolved by `r` (pointers or resident matrices). q, k
    /// and v (and gate and up) lie one after another in the arena, so the first of each names
    /// the fused matrix. Gemma-2's `post_attention_layernorm` is the attention branch's
    /// post-norm; the MLP's pre-norm is `pre_feedforward_layernorm`.
    func decoderWeights<Matrix>(_ r: PreNormDecoder.WeightResolver<Matrix>) -> PreNormDecoder.WeightsOf<Matrix> {
        let c = config
        return PreNormDecoder.WeightsOf(
            blocks: (0..<c.layers).map { l in
                let prefix = "model.layers.\(l)."
                let names = GatedLayerSpecs.blockNames(attentionBias: c.attentionBias, mlpBias: false,
                                                       mlpNorm: "pre_feedforward_layernorm.weight")
                return PreNormDecoder.BlockOf(r, names: names.map { $0.map { prefix + $0 } },
                                            postNorms: (prefix + "post_attention_layernorm.weight", prefix + "post_feedforward_layernorm.weight"))
            },
            finalNormWeight: r.vector("model.norm.weight"),
            head: r.matrix(outputHeadParameter),
            finalNormBias: nil)
    }

    /// The token table scaled by `√hidden` (transformers rounds it to the activation dtype:
    /// fp32 here).
    func embeddings(gradients: UnsafeMutablePointer<Float>?) -> PreNormDecoder.Embeddings {
        .tokenTable(parameters, "model.embed_tokens.weight", width: config.hiddenSize,
                    scale: Float(Double(config.hiddenSize).squareRoot()), gradients: gradients)
    }
}

extension Gemma2 {
    /// Gemma-2's registry entry: the rotary buffer and the tied head stored anyway are not
    /// parameters.
    public static let architecture = Architecture(
        modelType: "gemma2", make: { Gemma2(config: try Gemma2.Config($0), file: $0, matrices: $1) },
        layout: { file in
            let c = try Gemma2.Config(file)
            return ModelLayout(specs: Gemma2.specs(c), agreement: .gated(
                layers: c.layers, vocabulary: c.vocabularySize, hidden: c.hiddenSize, intermediate: c.intermediateSize,
                heads: c.heads, keyValueHeads: c.keyValueHeads, headDim: c.headDim))
        },
        ignoredTensors: ["rotary_emb.inv_freq", "lm_head.weight"], trainable: true)
}

extension Gemma2 {
    /// The parameter the logits are computed with (the token table when the head is tied).
    static func outputHead(_ c: Config) -> String { "model.embed_tokens.weight" }
}
