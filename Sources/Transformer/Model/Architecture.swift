import Foundation

/// Everything the engine knows about one architecture, by its `model_type`: how its
/// `config.json` becomes a model, how checkpoint tensor names map to its parameters, and
/// whether `c2s train` may train it. Each architecture's file defines its own entry
/// (`GPT2.architecture`, ...); ``ArchitectureRegistry`` lists them, so adding an architecture
/// is its file plus one line there.
public struct Architecture: Sendable {
    /// `config.json`'s `model_type`.
    public let modelType: String
    /// A model for the config whose parameters are not yet set, keeping its matrices in the
    /// given precision.
    public let make: @Sendable (ConfigFile, MatrixPrecision) throws -> any CausalLanguageModel
    /// The parameters the config asks for and the sizes a checkpoint must agree on, computed
    /// without allocating anything: checked before `make`, which allocates.
    public let layout: @Sendable (ConfigFile) throws -> ModelLayout
    /// A checkpoint tensor's name as the architecture names the parameter (e.g. GPT-2's
    /// `transformer.` prefix, present or not).
    public let parameterName: @Sendable (String) -> String
    /// Checkpoint tensors that are buffers rather than parameters, or a tied head stored anyway
    /// (patterns as `WeightManifest.matches` reads them).
    public let ignoredTensors: [String]
    /// Whether training is allowed: the model conforms to `TrainableModel` and its gradients are
    /// checked against torch (TrainingParityTests).
    public let trainable: Bool

    public init(modelType: String, make: @escaping @Sendable (ConfigFile, MatrixPrecision) throws -> any CausalLanguageModel,
                layout: @escaping @Sendable (ConfigFile) throws -> ModelLayout,
                parameterName: @escaping @Sendable (String) -> String = { $0 }, ignoredTensors: [String], trainable: Bool) {
        self.modelType = modelType
        self.make = make
        self.layout = layout
        self.parameterName = parameterName
        self.ignoredTensors = ignoredTensors
        self.trainable = trainable
    }
}

/// What a config asks for, before anything is allocated: its parameters and the sizes its
/// checkpoint must agree on.
public struct ModelLayout: Sendable {
    public var specs: [ParameterSpec]
    public var agreement: ConfigTensorAgreement

    public init(specs: [ParameterSpec], agreement: ConfigTensorAgreement) {
        self.specs = specs
        self.agreement = agreement
    }
}

/// The architectures the engine runs, by `model_type`.
public enum ArchitectureRegistry {
    public static let all: [Architecture] = [Gemma2.architecture, GPT2.architecture, GPTNeoX.architecture, Llama.architecture]

    /// The `model_type`s the engine runs, sorted.
    public static var supportedTypes: [String] { all.map(\.modelType).sorted() }

    /// The `model_type`s `c2s train` trains, sorted.
    public static var trainableTypes: [String] { all.filter(\.trainable).map(\.modelType).sorted() }

    /// The entry for `modelType`, or nil.
    public static func architecture(_ modelType: String) -> Architecture? { all.first { $0.modelType == modelType } }

    /// The entry for `file`'s `model_type`; errors name a missing or unsupported one.
    public static func architecture(for file: ConfigFile) throws -> Architecture {
        guard let type = file.modelType else {
            throw ModelError.invalidConfig(file.url, "has no \"model_type\" (supported: \(supportedTypes.joined(separator: ", ")))")
        }
        guard let architecture = architecture(type) else { throw ModelError.unsupportedArchitecture(file.url, type, supportedTypes) }
        return architecture
    }
}
