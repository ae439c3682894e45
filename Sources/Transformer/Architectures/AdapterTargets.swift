/// The products of a block that LoRA can adapt, named as the Hugging Face module that computes
/// them (PEFT's `target_modules` match the last component, its saved tensors the full path).
struct AdapterTarget: Sendable, Equatable {
    /// The module's path, e.g. `model.layers.0.self_attn.q_proj`.
    var module: String
    /// Which of the block's products it adds to, and the output columns it owns there.
    var projection: PreNormDecoder.Projection
    var offset, width: Int
    /// Width of the product's input.
    var inWidth: Int
    /// How the checkpoint orders `lora_B`'s rows (GPT-NeoX's fused projection is per head).
    var layout: StoredLayout = .asIs

    /// The module's own name, e.g. `q_proj`.
    var name: String { String(module.split(separator: ".").last ?? "") }
}

extension GatedLayerSpecs {
    /// Llama and Gemma-2: q, k and v share `[Q | K | V]`, gate and up share `[gate | up]`.
    static func adapterTargets(_ p: String, hidden d: Int, queryWidth q: Int, keyValueWidth kv: Int, intermediate f: Int) -> [AdapterTarget] {
        [
            AdapterTarget(module: p + "self_attn.q_proj", projection: .qkv, offset: 0, width: q, inWidth: d),
            AdapterTarget(module: p + "self_attn.k_proj", projection: .qkv, offset: q, width: kv, inWidth: d),
            AdapterTarget(module: p + "self_attn.v_proj", projection: .qkv, offset: q + kv, width: kv, inWidth: d),
            AdapterTarget(module: p + "self_attn.o_proj", projection: .out, offset: 0, width: d, inWidth: q),
            AdapterTarget(module: p + "mlp.gate_proj", projection: .up, offset: 0, width: f, inWidth: d),
            AdapterTarget(module: p + "mlp.up_proj", projection: .up, offset: f, width: f, inWidth: d),
            AdapterTarget(module: p + "mlp.down_proj", projection: .down, offset: 0, width: d, inWidth: f),
        ]
    }
}

extension Llama {
    func adapterTargets(layer l: Int) -> [AdapterTarget] {
        let c = config
        return GatedLayerSpecs.adapterTargets("model.layers.\(l).", hidden: c.hiddenSize, queryWidth: c.heads * c.headDim,
                                              keyValueWidth: c.keyValueHeads * c.headDim, intermediate: c.intermediateSize)
    }
}

extension Gemma2 {
    func adapterTargets(layer l: Int) -> [AdapterTarget] {
        let c = config
        return GatedLayerSpecs.adapterTargets("model.layers.\(l).", hidden: c.hiddenSize, queryWidth: c.heads * c.headDim,
                                              keyValueWidth: c.keyValueHeads * c.headDim, intermediate: c.intermediateSize)
    }
}

extension GPTNeoX {
    func adapterTargets(layer l: Int) -> [AdapterTarget] {
        let d = config.hiddenSize, f = config.intermediateSize, p = "gpt_neox.layers.\(l)."
        return [
            AdapterTarget(module: p + "attention.query_key_value", projection: .qkv, offset: 0, width: 3 * d, inWidth: d,
                          layout: .perHeadQKV(heads: config.heads, headDim: d / config.heads)),
            AdapterTarget(module: p + "attention.dense", projection: .out, offset: 0, width: d, inWidth: d),
            AdapterTarget(module: p + "mlp.dense_h_to_4h", projection: .up, offset: 0, width: f, inWidth: d),
            AdapterTarget(module: p + "mlp.dense_4h_to_h", projection: .down, offset: 0, width: d, inWidth: f),
        ]
    }
}

extension GPT2 {
    /// GPT-2's Conv1D modules; PEFT's `c_proj` names both the attention's and the MLP's.
    func adapterTargets(layer l: Int) -> [AdapterTarget] {
        let d = config.hiddenSize, f = config.innerSize, p = "transformer.h.\(l)."
        return [
            AdapterTarget(module: p + "attn.c_attn", projection: .qkv, offset: 0, width: 3 * d, inWidth: d),
            AdapterTarget(module: p + "attn.c_proj", projection: .out, offset: 0, width: d, inWidth: d),
            AdapterTarget(module: p + "mlp.c_fc", projection: .up, offset: 0, width: f, inWidth: d),
            AdapterTarget(module: p + "mlp.c_proj", projection: .down, offset: 0, width: d, inWidth: f),
        ]
    }
}
