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
            vocabularySize = try file.positiveInt("vocab_size", default: 32000)
            hiddenSize = try file.positiveInt("hidden_size", default: 4096)
            layers = try file.positiveInt("num_hidden_layers", default: 32)
            heads = try file.positiveInt("num_attention_heads", default: 32)
            keyValueHeads = try file.positiveInt("num_key_value_heads", default: heads)
            headDim = try file.positiveInt("head_dim", default: hiddenSize / heads)
            intermediateSize = try file.positiveInt("intermediate_size", default: 11008)
            maxPositions = try file.positiveInt("max_position_embeddings", default: 2048)
            guard heads % keyValueHeads == 0 else {
                throw ModelError.invalidConfig(file.url, "num_attention_heads \(heads) is not a multiple of num_key_value_heads \(keyValueHeads)")
            }
            rmsNormEps = Float(try file.double("rms_norm_eps", default: 1e-6))
            let rope = try file.rope(defaultBase: 10000, baseKeys: ["rope_theta"])
            ropeBase = Float(rope.base)
            ropeLinearScaling = Float(rope.linearScaling)
            attentionBias = try file.bool("attention_bias", default: false)
            mlpBias = try file.bool("mlp_bias", default: false)
            tiedHead = try file.bool("tie_word_embeddings", default: false)
            activation = try file.activation("hidden_act", default: "silu")
            initializerRange = try file.double("initializer_range", default: 0.02)
        }
    }

    public let config: Config
    public let info: ModelInfo
    public let parameters: ParameterStore
    let attention: AttentionShape
    let rotary: Rotary
    private let workspace: Workspace
    private let scratch = AttentionScratch()
    /// One pass at a time, inference or training.
    let lock = NSLock()
    /// Activations and scratch of training passes.
    let training = TrainingWorkspace()

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

    public init(config: Config, file: ConfigFile) {
        self.config = config
        let kv = config.keyValueHeads * config.headDim
        info = ModelInfo(modelType: "llama", vocabularySize: config.vocabularySize, hiddenSize: config.hiddenSize, layers: config.layers,
                         keyValueWidth: kv, contextLength: config.maxPositions,
                         bosTokenIDs: file.tokenIDs("bos_token_id"), eosTokenIDs: file.tokenIDs("eos_token_id"),
                         padTokenID: file.tokenIDs("pad_token_id").first)
        parameters = ParameterStore(specs: Self.specs(config))
        attention = AttentionShape(queryHeads: config.heads, keyValueHeads: config.keyValueHeads, headDim: config.headDim,
                                   scale: 1 / Float(config.headDim).squareRoot())
        rotary = Rotary(headDim: config.headDim, rotaryDims: config.headDim, base: config.ropeBase, linearScaling: config.ropeLinearScaling)
        workspace = Workspace(widths: [config.hiddenSize, config.hiddenSize, attention.fusedWidth, attention.queryWidth,
                                       2 * config.intermediateSize, config.intermediateSize])
    }


    public func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        try DecoderOutput.check(batch, cache: cache, info: info)
        lock.lock()
        defer { lock.unlock() }
        let c = config, d = c.hiddenSize, f = c.intermediateSize, t = batch.tokenCount
        let a = attention, w = parameters
        workspace.reserve(tokens: t)
        let x = workspace[0], n = workspace[1], qkv = workspace[2], att = workspace[3], gateUp = workspace[4], ff = workspace[5]
        let embed = w.pointer("model.embed_tokens.weight")
        for (i, token) in batch.tokens.enumerated() { (x + i * d).update(from: embed + Int(token) * d, count: d) }
        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            Normalization.rmsNorm(x, weight: w.pointer(p + "input_layernorm.weight"), offset: 0, eps: c.rmsNormEps, into: n, rows: t, width: d)
            w.linear(n, p + "self_attn.q_proj.weight", into: qkv, m: t, n: a.fusedWidth, k: d)
            if c.attentionBias { Vector.addBias(w.pointer(p + "self_attn.q_proj.bias"), to: qkv, rows: t, width: a.fusedWidth) }
            batch.positions.withUnsafeBufferPointer { pos in
                rotary.apply(qkv, width: a.fusedWidth, tokens: t, positions: pos.baseAddress!, queryHeads: c.heads,
                             keyHeads: c.keyValueHeads, keyOffset: a.queryWidth)
            }
            Attention.run(a, qkv: qkv, batch: batch, cache: cache, layer: l, scratch: scratch, into: att)
            w.linear(att, p + "self_attn.o_proj.weight", into: x, m: t, n: d, k: a.queryWidth, accumulate: true)
            if c.attentionBias { Vector.addBias(w.pointer(p + "self_attn.o_proj.bias"), to: x, rows: t, width: d) }
            Normalization.rmsNorm(x, weight: w.pointer(p + "post_attention_layernorm.weight"), offset: 0, eps: c.rmsNormEps, into: n, rows: t, width: d)
            w.linear(n, p + "mlp.gate_proj.weight", into: gateUp, m: t, n: 2 * f, k: d)
            if c.mlpBias { Vector.addBias(w.pointer(p + "mlp.gate_proj.bias"), to: gateUp, rows: t, width: 2 * f) }
            c.activation.applyGated(gateUp, into: ff, rows: t, width: f)
            w.linear(ff, p + "mlp.down_proj.weight", into: x, m: t, n: d, k: f, accumulate: true)
            if c.mlpBias { Vector.addBias(w.pointer(p + "mlp.down_proj.bias"), to: x, rows: t, width: d) }
        }
        DecoderOutput.commit(batch, cache: cache)
        let headName = c.tiedHead ? "model.embed_tokens.weight" : "lm_head.weight"
        let normW = w.pointer("model.norm.weight")
        return DecoderOutput.finish(batch, x: x, scratch: n, hidden: d, vocabulary: c.vocabularySize, head: headName, store: w,
                                    logitRows: logits, wantHidden: hiddenStates) { from, to, rows in
            Normalization.rmsNorm(from, weight: normW, offset: 0, eps: c.rmsNormEps, into: to, rows: rows, width: d)
        }
    }
}

extension Llama {
    /// Llama's registry entry: the rotary buffer and a tied head stored anyway are not
    /// parameters.
    public static let architecture = Architecture(
        modelType: "llama", make: { Llama(config: try Llama.Config($0), file: $0) },
        ignoredTensors: ["rotary_emb.inv_freq", "lm_head.weight"], trainable: true)
}
