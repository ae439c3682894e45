import Foundation

/// GPT-NeoX (Pythia and the Pythia-based C2S models): LayerNorm, fused per-head QKV, partial
/// rotary embedding, exact GELU, parallel residual `x + attn(ln1 x) + mlp(ln2 x)` when
/// `use_parallel_residual`, untied output head `embed_out` unless `tie_word_embeddings`.
public final class GPTNeoX: CausalLanguageModel, @unchecked Sendable {
    public struct Config: Sendable {
        public var vocabularySize, hiddenSize, layers, heads, intermediateSize, maxPositions: Int
        public var rotaryDims: Int
        public var ropeBase: Float
        public var ropeLinearScaling: Float
        public var layerNormEps: Float
        public var parallelResidual: Bool
        public var tiedHead: Bool
        public var activation: Activation
        /// Standard deviation of the initial weights when training from scratch.
        public var initializerRange: Double

        public init(_ file: ConfigFile) throws {
            vocabularySize = try file.size("vocab_size", default: 50432, limit: ConfigLimits.vocabulary)
            hiddenSize = try file.size("hidden_size", default: 6144, limit: ConfigLimits.dimension)
            layers = try file.size("num_hidden_layers", default: 44, limit: ConfigLimits.layers)
            heads = try file.size("num_attention_heads", default: 64, limit: ConfigLimits.layers)
            intermediateSize = try file.size("intermediate_size", default: 24576, limit: ConfigLimits.dimension)
            maxPositions = try file.size("max_position_embeddings", default: 2048, limit: ConfigLimits.positions)
            guard hiddenSize % heads == 0 else {
                throw ModelError.invalidConfig(file.url, "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads)")
            }
            let rope = try file.rope(defaultBase: 10000, baseKeys: ["rotary_emb_base", "rope_theta"],
                                     defaultPartial: 0.25, partialKeys: ["rotary_pct", "partial_rotary_factor"])
            // A factor above 1 once wrote past each head (4: a double free), a negative one hung.
            rotaryDims = try file.checkedRotaryDims(headDim: hiddenSize / heads, partial: rope.partial, key: rope.partialKey)
            ropeBase = Float(rope.base)
            ropeLinearScaling = Float(rope.linearScaling)
            layerNormEps = Float(try file.positiveFinite("layer_norm_eps", default: 1e-5))
            parallelResidual = try file.bool("use_parallel_residual", default: true)
            tiedHead = try file.bool("tie_word_embeddings", default: false)
            activation = try file.activation("hidden_act", default: "gelu")
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
        let d = c.hiddenSize, f = c.intermediateSize
        var specs = [ParameterSpec("gpt_neox.embed_in.weight", [c.vocabularySize, d])]
        for l in 0..<c.layers {
            let p = "gpt_neox.layers.\(l)."
            specs += [
                ParameterSpec(p + "input_layernorm.weight", [d]), ParameterSpec(p + "input_layernorm.bias", [d]),
                ParameterSpec(p + "post_attention_layernorm.weight", [d]), ParameterSpec(p + "post_attention_layernorm.bias", [d]),
                ParameterSpec(p + "attention.query_key_value.weight", [3 * d, d], layout: .perHeadQKV(heads: c.heads, headDim: d / c.heads)),
                ParameterSpec(p + "attention.query_key_value.bias", [3 * d], layout: .perHeadQKV(heads: c.heads, headDim: d / c.heads)),
                ParameterSpec(p + "attention.dense.weight", [d, d]), ParameterSpec(p + "attention.dense.bias", [d]),
                ParameterSpec(p + "mlp.dense_h_to_4h.weight", [f, d]), ParameterSpec(p + "mlp.dense_h_to_4h.bias", [f]),
                ParameterSpec(p + "mlp.dense_4h_to_h.weight", [d, f]), ParameterSpec(p + "mlp.dense_4h_to_h.bias", [d]),
            ]
        }
        specs += [ParameterSpec("gpt_neox.final_layer_norm.weight", [d]), ParameterSpec("gpt_neox.final_layer_norm.bias", [d])]
        if !c.tiedHead { specs.append(ParameterSpec("embed_out.weight", [c.vocabularySize, d])) }
        return specs
    }

    /// Buffers and empty parameters, matrices kept in `matrices` precision; `ModelLoader` fills
    /// them from a checkpoint.
    public init(config: Config, file: ConfigFile, matrices: MatrixPrecision = .fp32) {
        self.config = config
        let d = config.hiddenSize, hd = d / config.heads
        info = ModelInfo(modelType: "gpt_neox", vocabularySize: config.vocabularySize, hiddenSize: d, layers: config.layers,
                         keyValueWidth: d, contextLength: config.maxPositions,
                         bosTokenIDs: file.tokenIDs("bos_token_id"), eosTokenIDs: file.tokenIDs("eos_token_id"),
                         padTokenID: file.tokenIDs("pad_token_id").first)
        parameters = ParameterStore(specs: Self.specs(config), matrices: matrices, outputHead: Self.outputHead(config))
        attention = AttentionShape(queryHeads: config.heads, keyValueHeads: config.heads, headDim: hd, scale: 1 / Float(hd).squareRoot())
        rotary = Rotary(headDim: hd, rotaryDims: config.rotaryDims, base: config.ropeBase, linearScaling: config.ropeLinearScaling)
    }
}

/// GPT-NeoX's block, as both passes read it: LayerNorm with biases, fused per-head QKV with
/// bias, partial rotary, plain MLP with biases, parallel or sequential residual.
extension GPTNeoX: PreNormModel {
    /// The shared pre-norm inference pass (`PreNormDecoder.infer`) over this block.
    public func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        try preNormForward(batch, cache: cache, logits: logits, hiddenStates: hiddenStates)
    }

    var decoderShape: PreNormDecoder.Shape {
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

    /// The block parameters by name, resolved by `r` (pointers or resident matrices).
    func decoderWeights<Matrix>(_ r: PreNormDecoder.WeightResolver<Matrix>) -> PreNormDecoder.WeightsOf<Matrix> {
        PreNormDecoder.WeightsOf(
            blocks: (0..<config.layers).map { l in
                PreNormDecoder.BlockOf(r, names: Self.blockNames.map { "gpt_neox.layers.\(l)." + $0 })
            },
            finalNormWeight: r.vector("gpt_neox.final_layer_norm.weight"),
            head: r.matrix(outputHeadParameter),
            finalNormBias: r.vector("gpt_neox.final_layer_norm.bias"))
    }

    func embeddings(gradients: UnsafeMutablePointer<Float>?) -> PreNormDecoder.Embeddings {
        .tokenTable(parameters, "gpt_neox.embed_in.weight", width: config.hiddenSize, gradients: gradients)
    }
}

extension GPTNeoX {
    /// GPT-NeoX's registry entry: the causal-mask and rotary buffers are not parameters.
    public static let architecture = Architecture(
        modelType: "gpt_neox", make: { GPTNeoX(config: try GPTNeoX.Config($0), file: $0, matrices: $1) },
        layout: { file in
            let c = try GPTNeoX.Config(file)
            return ModelLayout(specs: GPTNeoX.specs(c), agreement: ConfigTensorAgreement(
                layerKey: "num_hidden_layers", layers: c.layers, layerPrefix: "gpt_neox.layers.", dimensions: [
                    .init("vocab_size", c.vocabularySize, tensor: "gpt_neox.embed_in.weight", axis: 0),
                    .init("hidden_size", c.hiddenSize, tensor: "gpt_neox.embed_in.weight", axis: 1),
                    .init("intermediate_size", c.intermediateSize, tensor: "gpt_neox.layers.0.mlp.dense_h_to_4h.weight", axis: 0),
                ]))
        },
        ignoredTensors: ["attention.bias", "attention.masked_bias", "rotary_emb.inv_freq"], trainable: true)
}

extension GPTNeoX {
    /// The parameter the logits are computed with (the token table when the head is tied).
    static func outputHead(_ c: Config) -> String { c.tiedHead ? "gpt_neox.embed_in.weight" : "embed_out.weight" }
}
