/// The projections Llama-style layers share (Llama, Gemma-2): q, k and v declared one after
/// another so they form one fused `[Q | K | V]` matrix in the arena (and their biases one fused
/// bias), then o, then gate and up (one fused matrix for the gated MLP), then down.
enum GatedLayerSpecs {
    static func projections(
        _ p: String, hidden d: Int, queryWidth q: Int, keyValueWidth kv: Int, intermediate f: Int,
        attentionBias: Bool, mlpBias: Bool
    ) -> [ParameterSpec] {
        var specs = [ParameterSpec(p + "self_attn.q_proj.weight", [q, d]), ParameterSpec(p + "self_attn.k_proj.weight", [kv, d]),
                     ParameterSpec(p + "self_attn.v_proj.weight", [kv, d])]
        if attentionBias {
            specs += [ParameterSpec(p + "self_attn.q_proj.bias", [q]), ParameterSpec(p + "self_attn.k_proj.bias", [kv]),
                      ParameterSpec(p + "self_attn.v_proj.bias", [kv]), ParameterSpec(p + "self_attn.o_proj.bias", [d])]
        }
        specs += [ParameterSpec(p + "self_attn.o_proj.weight", [d, q]),
                  ParameterSpec(p + "mlp.gate_proj.weight", [f, d]), ParameterSpec(p + "mlp.up_proj.weight", [f, d]),
                  ParameterSpec(p + "mlp.down_proj.weight", [d, f])]
        if mlpBias {
            specs += [ParameterSpec(p + "mlp.gate_proj.bias", [f]), ParameterSpec(p + "mlp.up_proj.bias", [f]),
                      ParameterSpec(p + "mlp.down_proj.bias", [d])]
        }
        return specs
    }

    /// The twelve names `PreNormDecoder.Block` reads, relative to a layer's prefix: q (first of
    /// the fused `[Q | K | V]`), o, gate (first of `[gate | up]`) and down, with biases where
    /// the config has them; `mlpNorm` names the norm before the MLP (Llama's
    /// `post_attention_layernorm`, Gemma-2's `pre_feedforward_layernorm`).
    static func blockNames(attentionBias: Bool, mlpBias: Bool, mlpNorm: String) -> [String?] {
        [
            "input_layernorm.weight", nil,
            "self_attn.q_proj.weight", attentionBias ? "self_attn.q_proj.bias" : nil,
            "self_attn.o_proj.weight", attentionBias ? "self_attn.o_proj.bias" : nil,
            mlpNorm, nil,
            "mlp.gate_proj.weight", mlpBias ? "mlp.gate_proj.bias" : nil,
            "mlp.down_proj.weight", mlpBias ? "mlp.down_proj.bias" : nil,
        ]
    }
}

extension ConfigTensorAgreement {
    /// The sizes of a Llama-style model (Llama, Gemma-2) that its checkpoint states: the token
    /// table's two dimensions, layer 0's MLP width and query and key widths.
    static func gated(layers: Int, vocabulary: Int, hidden: Int, intermediate: Int,
                      heads: Int, keyValueHeads: Int, headDim: Int) -> ConfigTensorAgreement {
        ConfigTensorAgreement(layerKey: "num_hidden_layers", layers: layers, layerPrefix: "model.layers.", dimensions: [
            .init("vocab_size", vocabulary, tensor: "model.embed_tokens.weight", axis: 0),
            .init("hidden_size", hidden, tensor: "model.embed_tokens.weight", axis: 1),
            .init("intermediate_size", intermediate, tensor: "model.layers.0.mlp.gate_proj.weight", axis: 0),
            .init("num_attention_heads × head_dim", heads * headDim, tensor: "model.layers.0.self_attn.q_proj.weight", axis: 0),
            .init("num_key_value_heads × head_dim", keyValueHeads * headDim, tensor: "model.layers.0.self_attn.k_proj.weight", axis: 0),
        ])
    }
}
