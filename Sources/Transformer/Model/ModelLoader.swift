import Foundation

/// Opens a Hugging Face model folder: `config.json` decoded by the architecture its
/// `model_type` names, weights memory-mapped from safetensors (one file or shards) and copied
/// once into the model's arenas (fp32, or bf16 matrices: `WeightPrecision`), strictly checked
/// against the architecture.
public enum ModelLoader {
    /// The architectures this engine runs, by `model_type`.
    public static let supportedTypes = ["gemma2", "gpt2", "gpt_neox", "llama"]

    /// Loads a model folder; a LoRA adapter folder (`adapter_config.json`, no `config.json`)
    /// loads its base (`base_model_name_or_path`) with the adapter on top. With `adapter`, the
    /// adapter in that folder goes on top of the model in `folder`.
    ///
    /// `weights` chooses the precision the weight matrices are kept in (`WeightPrecision`). The
    /// default is fp32, what training and merging need and what the engine always did; the
    /// command line's inference commands default to `.auto` (bf16 checkpoints stay bf16). A
    /// LoRA adapter is fp32 in every case; the base under it is kept as `weights` says.
    ///
    /// `quantize`, when given, overrides `weights`: every weight matrix is quantized as it
    /// loads (`WeightQuantization`), for inference only (training and adapter merging refuse
    /// such a model).
    public static func load(folder: URL, adapter: String? = nil, weights: WeightPrecision = .fp32,
                            quantize: WeightQuantization? = nil) throws -> any CausalLanguageModel {
        if let adapter {
            return try LowRankAdaptedModel.load(adapter: adapter, onto: try load(folder: folder, weights: weights, quantize: quantize))
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ModelError.input("\(folder.path): no such model folder")
        }
        let configURL = folder.appendingPathComponent("config.json")
        let manager = FileManager.default
        if !manager.fileExists(atPath: configURL.path),
           manager.fileExists(atPath: folder.appendingPathComponent(LoRAConfiguration.configFileName).path) {
            return try LowRankAdaptedModel.load(adapter: folder.path, onto: try load(folder: try adapterBase(folder), weights: weights, quantize: quantize))
        }
        let file = try ConfigFile(url: configURL)
        let architecture = try ArchitectureRegistry.architecture(for: file)
        let checkpoint = try Checkpoint(folder: folder.path)
        // Every size the config gives is checked against the tensors before `make` allocates.
        try checkAgainstTensors(file, architecture, checkpoint)
        let precision = quantize?.matrixPrecision ?? weights.resolve(storedMatrixTypes: storedMatrixTypes(checkpoint, architecture))
        let model = try architecture.make(file, precision)
        try model.parameters.load(from: checkpoint, rename: architecture.parameterName, ignoring: architecture.ignoredTensors)
        if let bad = model.parameters.firstNonFinite() {
            throw ModelError.input("\(folder.path): the weights are damaged: \(bad.name) holds NaN or infinite values (element \(bad.index)); every output of this model would be NaN")
        }
        return model
    }

    /// Checks, before anything is allocated, that the checkpoint holds exactly the tensors the
    /// config describes. The config's values were range-checked when its layout was read; when
    /// the tensors disagree and a size key of config.json is the reason (a `hidden_size` of 2^31
    /// over a 64-wide checkpoint), the error names the key first, then every differing tensor.
    static func checkAgainstTensors(_ file: ConfigFile, _ architecture: Architecture, _ checkpoint: Checkpoint) throws {
        let layout = try architecture.layout(file)
        do {
            try ParameterStore.checkTensors(layout.specs, in: checkpoint, rename: architecture.parameterName, ignoring: architecture.ignoredTensors)
        } catch let mismatch as CheckpointError {
            do {
                try layout.agreement.check(checkpoint, rename: architecture.parameterName, config: file.url)
            } catch ModelError.invalidConfig(let url, let problem) {
                throw ModelError.invalidConfig(url, "\(problem); \(mismatch.description)")
            }
            throw mismatch
        }
    }

    /// The stored dtypes of a checkpoint's matrices (2-D tensors) that the architecture reads:
    /// what `WeightPrecision.auto` decides on. Tensors the architecture ignores (a tied head
    /// stored anyway, buffers) do not count.
    static func storedMatrixTypes(_ checkpoint: Checkpoint, _ architecture: Architecture) -> [SafetensorsDType] {
        checkpoint.files.flatMap(\.tensors)
            .filter { $0.shape.count == 2 && !WeightManifest.matches(architecture.parameterName($0.name), anyOf: architecture.ignoredTensors) }
            .map(\.dtype)
    }

    /// The precision a model keeps its weight matrices in (the base's under a LoRA adapter).
    public static func matrixPrecision(_ model: any CausalLanguageModel) -> MatrixPrecision {
        frozenWeights(model).matrixPrecision
    }

    /// The store of the weights a forward pass reads (for bf16 decoding): the base's under a
    /// LoRA adapter, the model's own otherwise.
    public static func frozenWeights(_ model: any CausalLanguageModel) -> ParameterStore {
        (model as? LowRankAdaptedModel)?.base.parameters ?? model.parameters
    }

    /// Where a model's tokenizer is: the adapter's folder when it has one (c2s train writes it
    /// there), else the model folder, else (for an adapter folder given as the model) its base.
    public static func tokenizerFolder(model: String, adapter: String?) -> URL {
        let manager = FileManager.default
        for folder in [adapter, model].compactMap({ $0 }) where manager.fileExists(atPath: (folder as NSString).appendingPathComponent("tokenizer.json")) {
            return URL(fileURLWithPath: folder)
        }
        let url = URL(fileURLWithPath: model)
        if adapter == nil, !manager.fileExists(atPath: url.appendingPathComponent("config.json").path), let base = try? adapterBase(url) { return base }
        return url
    }

    /// The base model folder an adapter folder names (`base_model_name_or_path`: absolute, or
    /// relative to the working folder or to the adapter's).
    static func adapterBase(_ adapter: URL) throws -> URL {
        let (_, named) = try LoRAConfiguration.read(folder: adapter.path)
        guard let named, !named.isEmpty else {
            throw ModelError.input("\(adapter.path) is a LoRA adapter without base_model_name_or_path: give its base with --model BASE --adapter \(adapter.path)")
        }
        let candidates = named.hasPrefix("/") ? [URL(fileURLWithPath: named)]
            : [URL(fileURLWithPath: named), adapter.appendingPathComponent(named)]
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("config.json").path) {
            return candidate
        }
        throw ModelError.input("\(adapter.path) is a LoRA adapter whose base model \(named) is not a model folder here: give the base with --model BASE --adapter \(adapter.path)")
    }

    /// An architecture for `file`'s `model_type` whose parameters are not yet set: fill them
    /// with `parameters.load(from:...)` before running it.
    ///
    /// With no checkpoint to check the config's sizes against, they are checked against this
    /// machine's memory instead: such a model is made to be trained, which takes 16 bytes per
    /// parameter (weights, gradients and Adam's two moments, fp32).
    public static func makeModel(_ file: ConfigFile, matrices: MatrixPrecision = .fp32) throws -> any CausalLanguageModel {
        let architecture = try ArchitectureRegistry.architecture(for: file)
        let specs = try architecture.layout(file).specs
        let memory = ProcessInfo.processInfo.physicalMemory
        let trainingBytesPerParameter = 16
        guard let count = ParameterSpec.totalCount(specs), UInt64(count) <= memory / UInt64(trainingBytesPerParameter) else {
            let count = ParameterSpec.totalCount(specs).map { "\($0)" } ?? "more than \(Int.max)"
            throw ModelError.invalidConfig(file.url, "its sizes make a model of \(count) parameters; training needs \(trainingBytesPerParameter) bytes per parameter, more than this machine's \(memory >> 20) MiB of memory (check hidden_size, intermediate_size, vocab_size and the layer count)")
        }
        return try architecture.make(file, matrices)
    }
}
