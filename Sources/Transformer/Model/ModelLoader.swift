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
        let architecture = try ArchitectureRegistry.architecture(for: file)
        let model = try architecture.make(file)
        let checkpoint = try Checkpoint(folder: folder.path)
        try model.parameters.load(from: checkpoint, rename: architecture.parameterName, ignoring: architecture.ignoredTensors)
        if let bad = model.parameters.firstNonFinite() {
            throw ModelError.input("\(folder.path): the weights are damaged: \(bad.name) holds NaN or infinite values (element \(bad.index)); every output of this model would be NaN")
        }
        return model
    }

    /// An architecture for `file`'s `model_type` whose parameters are not yet set: fill them
    /// with `parameters.load(from:...)` before running it.
    public static func makeModel(_ file: ConfigFile) throws -> any CausalLanguageModel {
        try ArchitectureRegistry.architecture(for: file).make(file)
    }
}
