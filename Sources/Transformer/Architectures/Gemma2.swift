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

        public init(_ file: ConfigFile) throws {
            vocabularySize = try file.positiveInt("vocab_size", default: 256000)
            hiddenSize = try file.positiveInt("hidden_size", default: 2304)
            layers = try file.positiveInt("num_hidden_layers", default: 26)
            heads = try file.positiveInt("num_attention_heads", default: 8)
            keyValueHeads = try file.positiveInt("num_key_value_heads", default: 4)
            headDim = try file.positiveInt("head_dim", default: 256)
            intermediateSize = try file.positiveInt("intermediate_size", default: 9216)
            maxPositions = try file.positiveInt("max_position_embeddings", default: 8192)
            guard heads % keyValueHeads == 0 else {
                throw ModelError.invalidConfig(file.url, "num_attention_heads \(heads) is not a multiple of num_key_value_heads \(keyValueHeads)")
            }
            rmsNormEps = Float(try file.double("rms_norm_eps", default: 1e-6))
            let rope = try file.rope(defaultBase: 10000, baseKeys: ["rope_theta"])
            ropeBase = Float(rope.base)
            ropeLinearScaling = Float(rope.linearScaling)
            queryPreAttentionScalar = Float(try file.double("query_pre_attn_scalar", default: 256))
            attentionSoftCap = (file.values["attn_logit_softcapping"] == nil) ? 50 : (try file.optionalDouble("attn_logit_softcapping")).map(Float.init)
            finalSoftCap = (file.values["final_logit_softcapping"] == nil) ? 30 : (try file.optionalDouble("final_logit_softcapping")).map(Float.init)
            slidingWindow = (file.values["sliding_window"] == nil) ? 4096 : try file.optionalInt("sliding_window")
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
            } else {
                // transformers' default: layers 0, 2, 4, ... slide.
                slidingLayers = (0..<layers).map { ($0 + 1) % 2 == 1 }
            }
            attentionBias = try file.bool("attention_bias", default: false)
            activation = try file.activation("hidden_activation", default: try file.string("hidden_act", default: "gelu_pytorch_tanh"))
        }
    }

    public let config: Config
    public let info: ModelInfo
    public let parameters: ParameterStore
    let rotary: Rotary
    private let workspace: Workspace
    private let scratch = AttentionScratch()
    private let lock = NSLock()

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

    public init(config: Config, file: ConfigFile) {
        self.config = config
        let kv = config.keyValueHeads * config.headDim
        info = ModelInfo(modelType: "gemma2", vocabularySize: config.vocabularySize, hiddenSize: config.hiddenSize, layers: config.layers,
                         keyValueWidth: kv, contextLength: config.maxPositions,
                         bosTokenIDs: file.tokenIDs("bos_token_id"), eosTokenIDs: file.tokenIDs("eos_token_id"),
                         padTokenID: file.tokenIDs("pad_token_id").first)
        parameters = ParameterStore(specs: Self.specs(config))
        rotary = Rotary(headDim: config.headDim, rotaryDims: config.headDim, base: config.ropeBase, linearScaling: config.ropeLinearScaling)
        let fused = (config.heads + 2 * config.keyValueHeads) * config.headDim
        workspace = Workspace(widths: [config.hiddenSize, config.hiddenSize, fused, config.heads * config.headDim,
                                       2 * config.intermediateSize, config.intermediateSize, config.hiddenSize])
    }


    func attentionShape(layer: Int) -> AttentionShape {
        let c = config
        return AttentionShape(queryHeads: c.heads, keyValueHeads: c.keyValueHeads, headDim: c.headDim,
                              scale: 1 / c.queryPreAttentionScalar.squareRoot(), softCap: c.attentionSoftCap,
                              window: c.slidingLayers[layer] ? c.slidingWindow : nil)
    }

    public func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        try DecoderOutput.check(batch, cache: cache, info: info)
        lock.lock()
        defer { lock.unlock() }
        let c = config, d = c.hiddenSize, f = c.intermediateSize, t = batch.tokenCount
        let w = parameters, eps = c.rmsNormEps
        workspace.reserve(tokens: t)
        let x = workspace[0], n = workspace[1], qkv = workspace[2], att = workspace[3], gateUp = workspace[4], ff = workspace[5], tmp = workspace[6]
        let embed = w.pointer("model.embed_tokens.weight")
        // transformers multiplies by √hidden rounded to the activation dtype (fp32 here).
        let normalizer = Float(Double(d).squareRoot())
        for (i, token) in batch.tokens.enumerated() {
            let row = x + i * d, e = embed + Int(token) * d
            for j in 0..<d { row[j] = e[j] * normalizer }
        }
        for l in 0..<c.layers {
            let p = "model.layers.\(l).", a = attentionShape(layer: l)
            Normalization.rmsNorm(x, weight: w.pointer(p + "input_layernorm.weight"), offset: 1, eps: eps, into: n, rows: t, width: d)
            w.linear(n, p + "self_attn.q_proj.weight", into: qkv, m: t, n: a.fusedWidth, k: d)
            if c.attentionBias { Vector.addBias(w.pointer(p + "self_attn.q_proj.bias"), to: qkv, rows: t, width: a.fusedWidth) }
            batch.positions.withUnsafeBufferPointer { pos in
                rotary.apply(qkv, width: a.fusedWidth, tokens: t, positions: pos.baseAddress!, queryHeads: c.heads,
                             keyHeads: c.keyValueHeads, keyOffset: a.queryWidth)
            }
            Attention.run(a, qkv: qkv, batch: batch, cache: cache, layer: l, scratch: scratch, into: att)
            w.linear(att, p + "self_attn.o_proj.weight", into: tmp, m: t, n: d, k: a.queryWidth)
            if c.attentionBias { Vector.addBias(w.pointer(p + "self_attn.o_proj.bias"), to: tmp, rows: t, width: d) }
            Normalization.rmsNorm(tmp, weight: w.pointer(p + "post_attention_layernorm.weight"), offset: 1, eps: eps, into: n, rows: t, width: d)
            Vector.add(n, into: x, count: t * d)
            Normalization.rmsNorm(x, weight: w.pointer(p + "pre_feedforward_layernorm.weight"), offset: 1, eps: eps, into: n, rows: t, width: d)
            w.linear(n, p + "mlp.gate_proj.weight", into: gateUp, m: t, n: 2 * f, k: d)
            c.activation.applyGated(gateUp, into: ff, rows: t, width: f)
            w.linear(ff, p + "mlp.down_proj.weight", into: tmp, m: t, n: d, k: f)
            Normalization.rmsNorm(tmp, weight: w.pointer(p + "post_feedforward_layernorm.weight"), offset: 1, eps: eps, into: n, rows: t, width: d)
            Vector.add(n, into: x, count: t * d)
        }
        DecoderOutput.commit(batch, cache: cache)
        let normW = w.pointer("model.norm.weight")
        return DecoderOutput.finish(batch, x: x, scratch: n, hidden: d, vocabulary: c.vocabularySize, head: w.pointer("model.embed_tokens.weight"), store: w,
                                    logitRows: logits, wantHidden: hiddenStates, softCap: c.finalSoftCap) { from, to, rows in
            Normalization.rmsNorm(from, weight: normW, offset: 1, eps: eps, into: to, rows: rows, width: d)
        }
    }
}

extension Gemma2 {
    /// Gemma-2's registry entry: inference only for now (no training pass yet).
    public static let architecture = Architecture(
        modelType: "gemma2", make: { Gemma2(config: try Gemma2.Config($0), file: $0) },
        ignoredTensors: ["rotary_emb.inv_freq", "lm_head.weight"], trainable: false)
}
