import Foundation

/// GPT-2 (the original Cell2Sentence paper's models): learned positions, LayerNorm before
/// attention and MLP, Conv1D weights stored `[in, out]` (transposed once at load), tanh GELU,
/// output head tied to the token embedding. Checkpoints name tensors with or without the
/// `transformer.` prefix.
public final class GPT2: CausalLanguageModel, @unchecked Sendable {
    public struct Config: Sendable {
        public var vocabularySize, hiddenSize, layers, heads, innerSize, positions: Int
        public var layerNormEps: Float
        public var activation: Activation
        public var scaleAttentionWeights: Bool
        public var scaleByInverseLayerIndex: Bool
        /// Standard deviation of the initial weights when training from scratch.
        public var initializerRange: Double

        public init(_ file: ConfigFile) throws {
            vocabularySize = try file.size("vocab_size", default: 50257, limit: ConfigLimits.vocabulary)
            hiddenSize = try file.size("n_embd", default: 768, limit: ConfigLimits.dimension)
            layers = try file.size("n_layer", default: 12, limit: ConfigLimits.layers)
            heads = try file.size("n_head", default: 12, limit: ConfigLimits.layers)
            positions = try file.size("n_positions", default: try file.size("n_ctx", default: 1024, limit: ConfigLimits.positions),
                                      limit: ConfigLimits.positions)
            innerSize = try file.optionalSize("n_inner", limit: ConfigLimits.dimension) ?? 4 * hiddenSize
            guard hiddenSize % heads == 0 else {
                throw ModelError.invalidConfig(file.url, "n_embd \(hiddenSize) is not a multiple of n_head \(heads)")
            }
            layerNormEps = Float(try file.positiveFinite("layer_norm_epsilon", default: 1e-5))
            activation = try file.activation("activation_function", default: "gelu_new")
            scaleAttentionWeights = try file.bool("scale_attn_weights", default: true)
            scaleByInverseLayerIndex = try file.bool("scale_attn_by_inverse_layer_idx", default: false)
            initializerRange = try file.nonNegativeFinite("initializer_range", default: 0.02)
            if try !file.bool("tie_word_embeddings", default: true) {
                throw ModelError.invalidConfig(file.url, "GPT-2 with an untied output head (tie_word_embeddings false) is not supported")
            }
        }
    }

    public let config: Config
    public let info: ModelInfo
    public let parameters: ParameterStore
    /// One pass at a time, inference or training.
    let lock = NSLock()
    /// Activations and scratch of training passes.
    let training = TrainingWorkspace()
    /// Buffers of inference passes.
    let inference = PreNormDecoder.InferenceState()

    public static func specs(_ c: Config) -> [ParameterSpec] {
        let d = c.hiddenSize, f = c.innerSize
        var specs = [ParameterSpec("transformer.wte.weight", [c.vocabularySize, d]), ParameterSpec("transformer.wpe.weight", [c.positions, d])]
        for l in 0..<c.layers {
            let p = "transformer.h.\(l)."
            specs += [
                ParameterSpec(p + "ln_1.weight", [d]), ParameterSpec(p + "ln_1.bias", [d]),
                ParameterSpec(p + "attn.c_attn.weight", [3 * d, d], layout: .transposed), ParameterSpec(p + "attn.c_attn.bias", [3 * d]),
                ParameterSpec(p + "attn.c_proj.weight", [d, d], layout: .transposed), ParameterSpec(p + "attn.c_proj.bias", [d]),
                ParameterSpec(p + "ln_2.weight", [d]), ParameterSpec(p + "ln_2.bias", [d]),
                ParameterSpec(p + "mlp.c_fc.weight", [f, d], layout: .transposed), ParameterSpec(p + "mlp.c_fc.bias", [f]),
                ParameterSpec(p + "mlp.c_proj.weight", [d, f], layout: .transposed), ParameterSpec(p + "mlp.c_proj.bias", [d]),
            ]
        }
        specs += [ParameterSpec("transformer.ln_f.weight", [d]), ParameterSpec("transformer.ln_f.bias", [d])]
        return specs
    }

    /// Empty parameters, matrices kept in `matrices` precision; `ModelLoader` fills them from a
    /// checkpoint.
    public init(config: Config, file: ConfigFile, matrices: MatrixPrecision = .fp32) {
        self.config = config
        let d = config.hiddenSize
        info = ModelInfo(modelType: "gpt2", vocabularySize: config.vocabularySize, hiddenSize: d, layers: config.layers,
                         keyValueWidth: d, contextLength: config.positions,
                         bosTokenIDs: file.tokenIDs("bos_token_id"), eosTokenIDs: file.tokenIDs("eos_token_id"),
                         padTokenID: file.tokenIDs("pad_token_id").first)
        parameters = ParameterStore(specs: Self.specs(config), matrices: matrices, outputHead: Self.outputHead(config))
    }

    /// Layer `layer`'s attention: scores scaled by 1/√headDim (`scale_attn_weights`) and by
    /// 1/(layer + 1) (`scale_attn_by_inverse_layer_idx`) when the config says so.
    func attentionShape(layer: Int) -> AttentionShape {
        let c = config, hd = c.hiddenSize / c.heads
        var scale: Float = c.scaleAttentionWeights ? 1 / Float(hd).squareRoot() : 1
        if c.scaleByInverseLayerIndex { scale /= Float(layer + 1) }
        return AttentionShape(queryHeads: c.heads, keyValueHeads: c.heads, headDim: hd, scale: scale)
    }

    /// Adds the `transformer.` prefix that original OpenAI-converted checkpoints lack.
    public static func canonicalName(_ name: String) -> String {
        name.hasPrefix("transformer.") || name.hasPrefix("lm_head.") ? name : "transformer." + name
    }
}

/// GPT-2's block, as both passes read it: LayerNorm with biases, fused QKV with bias, no
/// rotary (learned positions are added with the token embedding), plain MLP with biases,
/// sequential residual, per-layer attention scale.
extension GPT2: PreNormModel {
    /// The shared pre-norm inference pass (`PreNormDecoder.infer`) over this block.
    public func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        try preNormForward(batch, cache: cache, logits: logits, hiddenStates: hiddenStates)
    }

    var decoderShape: PreNormDecoder.Shape {
        PreNormDecoder.Shape(hidden: config.hiddenSize, intermediate: config.innerSize, vocabulary: config.vocabularySize,
                             norm: .layerNorm, eps: config.layerNormEps, activation: config.activation, gated: false,
                             parallelResidual: false, rotary: nil,
                             attention: (0..<config.layers).map { attentionShape(layer: $0) })
    }

    private static let blockNames: [String] = [
        "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
        "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
    ]

    /// The block parameters by name, resolved by `r` (pointers or resident matrices).
    func decoderWeights<Matrix>(_ r: PreNormDecoder.WeightResolver<Matrix>) -> PreNormDecoder.WeightsOf<Matrix> {
        PreNormDecoder.WeightsOf(
            blocks: (0..<config.layers).map { l in
                PreNormDecoder.BlockOf(r, names: Self.blockNames.map { "transformer.h.\(l)." + $0 })
            },
            finalNormWeight: r.vector("transformer.ln_f.weight"),
            head: r.matrix(outputHeadParameter),
            finalNormBias: r.vector("transformer.ln_f.bias"))
    }

    func embeddings(gradients: UnsafeMutablePointer<Float>?) -> PreNormDecoder.Embeddings {
        let d = config.hiddenSize
        let wte = parameters.matrix("transformer.wte.weight"), wpe = parameters.matrix("transformer.wpe.weight")
        let dWte = gradients.map { parameters.pointer("transformer.wte.weight", in: $0) }
        let dWpe = gradients.map { parameters.pointer("transformer.wpe.weight", in: $0) }
        return PreNormDecoder.Embeddings(
            embed: { tokens, positions, count, x in
                wte.gatherRows(indices: tokens, count: count, width: d, into: x)
                wpe.gatherRows(indices: positions, count: count, width: d, into: x, accumulate: true)
            },
            embedBackward: { tokens, positions, count, dx in
                guard let dWte, let dWpe else { return }
                Embedding.scatterAdd(dx, indices: tokens, count: count, width: d, into: dWte)
                Embedding.scatterAdd(dx, indices: positions, count: count, width: d, into: dWpe)
            })
    }
}

extension GPT2 {
    /// GPT-2's registry entry: checkpoint names with or without the `transformer.` prefix;
    /// the attention-mask buffers and the tied `lm_head.weight` are not parameters.
    public static let architecture = Architecture(
        modelType: "gpt2", make: { GPT2(config: try GPT2.Config($0), file: $0, matrices: $1) },
        layout: { file in
            let c = try GPT2.Config(file)
            // Conv1D weights are stored [in, out]: the MLP width is c_fc's second dimension.
            return ModelLayout(specs: GPT2.specs(c), agreement: ConfigTensorAgreement(
                layerKey: "n_layer", layers: c.layers, layerPrefix: "transformer.h.", dimensions: [
                    .init("vocab_size", c.vocabularySize, tensor: "transformer.wte.weight", axis: 0),
                    .init("n_embd", c.hiddenSize, tensor: "transformer.wte.weight", axis: 1),
                    .init("n_positions", c.positions, tensor: "transformer.wpe.weight", axis: 0),
                    .init("n_inner (4 × n_embd when absent)", c.innerSize, tensor: "transformer.h.0.mlp.c_fc.weight", axis: 1),
                ]))
        }, parameterName: { GPT2.canonicalName($0) },
        ignoredTensors: WeightManifest.knownBuffers + ["lm_head.weight"], trainable: true)
}

extension GPT2 {
    /// The parameter the logits are computed with (the token table when the head is tied).
    static func outputHead(_ c: Config) -> String { "transformer.wte.weight" }
}
