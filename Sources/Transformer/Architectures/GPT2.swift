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
            vocabularySize = try file.positiveInt("vocab_size", default: 50257)
            hiddenSize = try file.positiveInt("n_embd", default: 768)
            layers = try file.positiveInt("n_layer", default: 12)
            heads = try file.positiveInt("n_head", default: 12)
            positions = try file.positiveInt("n_positions", default: try file.positiveInt("n_ctx", default: 1024))
            innerSize = try file.optionalInt("n_inner") ?? 4 * hiddenSize
            guard hiddenSize % heads == 0 else {
                throw ModelError.invalidConfig(file.url, "n_embd \(hiddenSize) is not a multiple of n_head \(heads)")
            }
            layerNormEps = Float(try file.double("layer_norm_epsilon", default: 1e-5))
            activation = try file.activation("activation_function", default: "gelu_new")
            scaleAttentionWeights = try file.bool("scale_attn_weights", default: true)
            scaleByInverseLayerIndex = try file.bool("scale_attn_by_inverse_layer_idx", default: false)
            initializerRange = try file.double("initializer_range", default: 0.02)
            if try !file.bool("tie_word_embeddings", default: true) {
                throw ModelError.invalidConfig(file.url, "GPT-2 with an untied output head (tie_word_embeddings false) is not supported")
            }
        }
    }

    public let config: Config
    public let info: ModelInfo
    public let parameters: ParameterStore
    private let workspace: Workspace
    private let scratch = AttentionScratch()
    /// One pass at a time, inference or training.
    let lock = NSLock()
    /// Activations and scratch of training passes.
    let training = TrainingWorkspace()

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

    public init(config: Config, file: ConfigFile) {
        self.config = config
        let d = config.hiddenSize
        info = ModelInfo(modelType: "gpt2", vocabularySize: config.vocabularySize, hiddenSize: d, layers: config.layers,
                         keyValueWidth: d, contextLength: config.positions,
                         bosTokenIDs: file.tokenIDs("bos_token_id"), eosTokenIDs: file.tokenIDs("eos_token_id"),
                         padTokenID: file.tokenIDs("pad_token_id").first)
        parameters = ParameterStore(specs: Self.specs(config))
        workspace = Workspace(widths: [d, d, 3 * d, d, config.innerSize])
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


    public func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        try DecoderOutput.check(batch, cache: cache, info: info)
        lock.lock()
        defer { lock.unlock() }
        let c = config, d = c.hiddenSize, f = c.innerSize, t = batch.tokenCount
        let w = parameters
        workspace.reserve(tokens: t)
        let x = workspace[0], n = workspace[1], qkv = workspace[2], att = workspace[3], ff = workspace[4]
        let wte = w.pointer("transformer.wte.weight"), wpe = w.pointer("transformer.wpe.weight")
        for i in 0..<t {
            let row = x + i * d
            row.update(from: wte + Int(batch.tokens[i]) * d, count: d)
            Vector.axpy(1, wpe + Int(batch.positions[i]) * d, row, d)
        }
        for l in 0..<c.layers {
            let p = "transformer.h.\(l)."
            let shape = attentionShape(layer: l)
            Normalization.layerNorm(x, weight: w.pointer(p + "ln_1.weight"), bias: w.pointer(p + "ln_1.bias"), eps: c.layerNormEps, into: n, rows: t, width: d)
            w.linear(n, p + "attn.c_attn.weight", into: qkv, m: t, n: 3 * d, k: d)
            Vector.addBias(w.pointer(p + "attn.c_attn.bias"), to: qkv, rows: t, width: 3 * d)
            Attention.run(shape, qkv: qkv, batch: batch, cache: cache, layer: l, scratch: scratch, into: att)
            w.linear(att, p + "attn.c_proj.weight", into: x, m: t, n: d, k: d, accumulate: true)
            Vector.addBias(w.pointer(p + "attn.c_proj.bias"), to: x, rows: t, width: d)
            Normalization.layerNorm(x, weight: w.pointer(p + "ln_2.weight"), bias: w.pointer(p + "ln_2.bias"), eps: c.layerNormEps, into: n, rows: t, width: d)
            w.linear(n, p + "mlp.c_fc.weight", into: ff, m: t, n: f, k: d)
            Vector.addBias(w.pointer(p + "mlp.c_fc.bias"), to: ff, rows: t, width: f)
            c.activation.apply(ff, count: t * f)
            w.linear(ff, p + "mlp.c_proj.weight", into: x, m: t, n: d, k: f, accumulate: true)
            Vector.addBias(w.pointer(p + "mlp.c_proj.bias"), to: x, rows: t, width: d)
        }
        DecoderOutput.commit(batch, cache: cache)
        let normW = w.pointer("transformer.ln_f.weight"), normB = w.pointer("transformer.ln_f.bias")
        return DecoderOutput.finish(batch, x: x, scratch: n, hidden: d, vocabulary: c.vocabularySize, head: "transformer.wte.weight", store: w,
                                    logitRows: logits, wantHidden: hiddenStates) { from, to, rows in
            Normalization.layerNorm(from, weight: normW, bias: normB, eps: c.layerNormEps, into: to, rows: rows, width: d)
        }
    }
}

extension GPT2 {
    /// GPT-2's registry entry: checkpoint names with or without the `transformer.` prefix;
    /// the attention-mask buffers and the tied `lm_head.weight` are not parameters.
    public static let architecture = Architecture(
        modelType: "gpt2", make: { GPT2(config: try GPT2.Config($0), file: $0) }, parameterName: { GPT2.canonicalName($0) },
        ignoredTensors: WeightManifest.knownBuffers + ["lm_head.weight"], trainable: true)
}
