import Foundation

/// A LoRA adapter's settings, as PEFT's `LoraConfig` holds them and `adapter_config.json`
/// stores them: rank `r`, `lora_alpha`, the target modules, and the scale `alpha / r`
/// (`alpha / √r` with rsLoRA).
public struct LoRAConfiguration: Sendable, Equatable {
    public static let configFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"
    /// `--lora-targets all-linear`: every projection of every block (PEFT's `all-linear`,
    /// which leaves the output head alone).
    public static let allLinear = "all-linear"

    public var rank: Int
    public var alpha: Double
    /// Module names (`q_proj`, `query_key_value`, `c_attn`, ...) or `[allLinear]`.
    public var targets: [String]
    public var rankStabilized = false
    /// Dropout on each adapter's input while training (PEFT's `lora_dropout`; 0: none).
    public var dropout: Double = 0

    public init(rank: Int, alpha: Double? = nil, targets: [String] = [LoRAConfiguration.allLinear], rankStabilized: Bool = false,
                dropout: Double = 0) {
        self.rank = rank
        self.alpha = alpha ?? Double(rank)
        self.targets = targets
        self.rankStabilized = rankStabilized
        self.dropout = dropout
    }

    /// What multiplies `B·A`.
    public var scale: Float {
        Float(rankStabilized ? alpha / Double(rank).squareRoot() : alpha / Double(rank))
    }

    /// Problems with the settings themselves, for an error message.
    public func problems() -> [String] {
        var p: [String] = []
        if rank < 1 { p.append("--lora-rank must be at least 1, found \(rank)") }
        if !(alpha.isFinite && alpha > 0) { p.append("--lora-alpha must be a positive number, found \(alpha)") }
        if targets.isEmpty || targets.contains(where: \.isEmpty) { p.append("--lora-targets names no module") }
        if !(dropout >= 0 && dropout < 1) { p.append("--lora-dropout must be in [0, 1), found \(dropout)") }
        return p
    }

    /// `adapter_config.json` as PEFT writes it, naming the modules actually adapted so that
    /// PEFT selects exactly them.
    public func peftJSON(baseModel: String, adaptedModules: [String], fanInFanOut: Bool) -> [String: Any] {
        [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": alpha, "lora_dropout": dropout,
            "target_modules": adaptedModules, "bias": "none", "fan_in_fan_out": fanInFanOut, "use_rslora": rankStabilized,
            "base_model_name_or_path": baseModel, "inference_mode": true, "init_lora_weights": true,
            "modules_to_save": NSNull(), "layers_to_transform": NSNull(), "layers_pattern": NSNull(),
            "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](), "revision": NSNull(), "use_dora": false,
        ]
    }

    /// Reads an adapter folder's `adapter_config.json`. Settings this engine does not apply
    /// (DoRA, per-module ranks, trained biases, extra saved modules, regex targets) are
    /// refused by name rather than ignored.
    public static func read(folder: String) throws -> (configuration: LoRAConfiguration, baseModel: String?) {
        let path = (folder as NSString).appendingPathComponent(configFileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.input("\(folder) is not a LoRA adapter folder: it has no \(configFileName)")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.input("\(path) is not a JSON object")
        }
        func fail(_ problem: String) -> Error { ModelError.input("\(path): \(problem)") }
        if let type = json["peft_type"] as? String, type != "LORA" { throw fail("peft_type is \(type); only LORA adapters are supported") }
        guard let rank = json["r"] as? Int, rank >= 1 else { throw fail("\"r\" must be a positive integer") }
        let alpha = (json["lora_alpha"] as? NSNumber)?.doubleValue ?? Double(rank)
        // A scale that is infinite (or NaN) in Float makes every output NaN.
        guard alpha.isFinite, Float(alpha).isFinite else { throw fail("\"lora_alpha\" must be a finite number, found \(alpha)") }
        let targets: [String]
        switch json["target_modules"] {
        case let list as [String]: targets = list
        case let name as String where name == allLinear: targets = [allLinear]
        case let other?: throw fail("target_modules \(other) is not a list of module names (regular expressions are not supported)")
        case nil: throw fail("has no target_modules")
        }
        if let bias = json["bias"] as? String, bias != "none" { throw fail("bias \"\(bias)\": adapters with trained biases are not supported") }
        if json["use_dora"] as? Bool == true { throw fail("DoRA adapters are not supported") }
        for key in ["rank_pattern", "alpha_pattern"] {
            if let pattern = json[key] as? [String: Any], !pattern.isEmpty { throw fail("\(key) (per-module ranks) is not supported") }
        }
        if let modules = json["modules_to_save"] as? [Any], !modules.isEmpty { throw fail("modules_to_save is not supported") }
        // Newer PEFT options that change which weights an adapter touches or how.
        for key in ["layers_to_transform", "exclude_modules", "target_parameters", "layer_replication", "trainable_token_indices"] {
            if let value = json[key], !(value is NSNull) { throw fail("\(key) is not supported") }
        }
        for key in ["lora_bias", "use_qalora", "use_bdlora"] where json[key] as? Bool == true { throw fail("\(key) is not supported") }
        let dropout = (json["lora_dropout"] as? NSNumber)?.doubleValue ?? 0
        let configuration = LoRAConfiguration(rank: rank, alpha: alpha, targets: targets, rankStabilized: json["use_rslora"] as? Bool ?? false,
                                              dropout: dropout >= 0 && dropout < 1 ? dropout : 0)
        return (configuration, json["base_model_name_or_path"] as? String)
    }
}
