/// Which parameters AdamW decays, as arena ranges.
///
/// transformers' `Trainer` builds two parameter groups: weights decay, while biases and
/// normalisation weights get weight decay 0 (`Trainer.get_decay_parameter_names`: parameters
/// of `nn.LayerNorm` modules and names matching `bias`, `layernorm`, `rmsnorm`, `norm`).
/// Decaying a norm's gain pulls it towards 0, i.e. towards switching the layer off, and a
/// bias has no scale to regularise, so neither benefits from decay.
///
/// The engine has no module types, only checkpoint names, so the rule here is by name,
/// case-insensitive: a parameter gets **no** weight decay when its name
///   - ends in `.bias` (or is `bias`), or
///   - contains `norm` (covers `layernorm`, `rmsnorm`, `layer_norm`, `input_layernorm`,
///     Llama's `model.norm`, NeoX's `final_layer_norm`, Gemma-2's `*_feedforward_layernorm`), or
///   - contains `ln_` (GPT-2's LayerNorms `ln_1`, `ln_2`, `ln_f`, which transformers excludes
///     by module type rather than by name).
/// Everything else (embeddings, projection matrices, heads) decays.
public enum WeightDecayMask {
    /// Whether the parameter named `name` is excluded from weight decay (see the type's rule).
    public static func isExcluded(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "bias" || lower.hasSuffix(".bias") || lower.contains("norm") || lower.contains("ln_")
    }

    /// Arena ranges (offsets into an arena laid out as `specs` in declaration order, as
    /// `ParameterStore` does) that get weight decay 0. Adjacent excluded parameters are merged
    /// into one range, so the optimizer walks as few ranges as possible.
    public static func noDecayRanges(_ specs: [ParameterSpec]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var offset = 0
        for spec in specs {
            let range = offset..<(offset + spec.count)
            offset = range.upperBound
            guard isExcluded(spec.name), !range.isEmpty else { continue }
            if let last = ranges.last, last.upperBound == range.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound..<range.upperBound
            } else {
                ranges.append(range)
            }
        }
        return ranges
    }
}
