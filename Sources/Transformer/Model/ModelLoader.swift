import Foundation

/// Opens a Hugging Face model folder: `config.json` decoded by the architecture its
/// `model_type` names, weights memory-mapped from safetensors (one file or shards) and
/// converted once to fp32, strictly checked against the architecture.
public enum ModelLoader {
    /// The architectures this engine runs, by `model_type`.
    public static let supportedTypes = ["gemma2", "gpt2", "gpt_neox", "llama"]

    public static func load(folder: URL) throws -> any CausalLanguageModel {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ModelError.input("\(folder.path): no such model folder")
        }
        let configURL = folder.appendingPathComponent("config.json")
        let file = try ConfigFile(url: configURL)
        let model = try makeModel(file)
        let checkpoint = try Checkpoint(folder: folder.path)
        try model.parameters.load(from: checkpoint, rename: rename(for: model.info.modelType),
                                  ignoring: ignored(for: model.info.modelType))
        return model
    }

    /// An architecture for `file`'s `model_type` whose parameters are not yet set: fill them
    /// with `parameters.load(from:...)` before running it.
    public static func makeModel(_ file: ConfigFile) throws -> any CausalLanguageModel {
        guard let type = file.modelType else {
            throw ModelError.invalidConfig(file.url, "has no \"model_type\" (supported: \(supportedTypes.joined(separator: ", ")))")
        }
        switch type {
        case "gpt2": return GPT2(config: try GPT2.Config(file), file: file)
        case "gpt_neox": return GPTNeoX(config: try GPTNeoX.Config(file), file: file)
        case "llama": return Llama(config: try Llama.Config(file), file: file)
        case "gemma2": return Gemma2(config: try Gemma2.Config(file), file: file)
        default: throw ModelError.unsupportedArchitecture(file.url, type, supportedTypes)
        }
    }

    static func rename(for type: String) -> @Sendable (String) -> String {
        if type == "gpt2" { return { GPT2.canonicalName($0) } }
        return { $0 }
    }

    /// Checkpoint tensors that are buffers rather than parameters, or a tied head stored
    /// anyway (patterns as `WeightManifest.matches` reads them).
    static func ignored(for type: String) -> [String] {
        switch type {
        case "gpt2": return WeightManifest.knownBuffers + ["lm_head.weight"]
        case "gpt_neox": return ["attention.bias", "attention.masked_bias", "rotary_emb.inv_freq"]
        default: return ["rotary_emb.inv_freq", "lm_head.weight"]
        }
    }
}
