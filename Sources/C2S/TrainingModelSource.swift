import Foundation
import SingleCell
import Transformer

/// The model a training run starts from, with what its saved folders need: a loaded checkpoint to
/// fine-tune, or a new model from a config (a file, or sizes given on the command line) and a
/// tokenizer, initialised from the seed.
public struct TrainingModelSource {
    public let model: any TrainableModel
    public let tokenizer: Tokenizer
    /// The folder holding `tokenizer.json` (and `tokenizer_config.json`).
    public let tokenizerFolder: String
    /// `config.json` of the saved model.
    public let config: [String: Any]
    /// `generation_config.json` of the saved model.
    public let generationConfig: [String: Any]
    /// The token appended to every example.
    public let eosTokenID: Int32
    /// "fine-tuning MODEL" or "new gpt_neox model (…)", for the summary.
    public let description: String

    /// Sizes of a new model given on the command line.
    public struct NewModelSizes: Sendable {
        public var type: String
        public var hiddenSize: Int
        public var layers: Int
        public var heads: Int
        public var intermediateSize: Int?
        public var context: Int

        public init(type: String, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int? = nil, context: Int) {
            self.type = type
            self.hiddenSize = hiddenSize
            self.layers = layers
            self.heads = heads
            self.intermediateSize = intermediateSize
            self.context = context
        }
    }

    public static var trainableTypes: [String] { ArchitectureRegistry.trainableTypes }

    static func trainable(_ model: any CausalLanguageModel, from source: String) throws -> any TrainableModel {
        guard ArchitectureRegistry.architecture(model.info.modelType)?.trainable == true, let trainable = model as? any TrainableModel else {
            throw TrainingError.invalidInput("\(source): model_type \(model.info.modelType) cannot be trained yet (trainable: \(trainableTypes.joined(separator: ", ")))")
        }
        return trainable
    }

    /// Fine-tuning: the checkpoint in `folder`, with its own tokenizer unless one is given,
    /// its matrices kept in `weights` (fp32 for full training; LoRA's frozen base may stay bf16).
    /// With `growVocabulary`, a tokenizer with more ids than the model has must extend the
    /// model's own tokenizer (every token at its id, `c2s tokenizer extend`) and the model gets
    /// rows for the new ids (`VocabularyGrowth`, initialised from `seed`).
    public static func pretrained(folder: String, tokenizerFolder: String?, weights: WeightPrecision = .fp32,
                                  growVocabulary: Bool = false, seed: UInt64 = 42) throws -> TrainingModelSource {
        let loaded = try ModelLoader.load(folder: URL(fileURLWithPath: folder), weights: weights)
        if loaded is LowRankAdaptedModel {
            throw TrainingError.invalidInput("\(folder) is a LoRA adapter, not a model: merge it into its base first ('c2s lm merge --model \(folder) -o merged') and train that")
        }
        var model = try trainable(loaded, from: folder)
        let configURL = URL(fileURLWithPath: folder).appendingPathComponent("config.json")
        var config = try ConfigFile(url: configURL).values
        let tokenizerFolder = tokenizerFolder ?? folder
        let tokenizer = try loadTokenizer(tokenizerFolder)
        var grownFrom: Int?
        if tokenizer.vocabularySize > model.info.vocabularySize {
            guard growVocabulary else {
                throw TrainingError.invalidInput("\(folder): the tokenizer \(tokenizerFolder) has \(tokenizer.vocabularySize) tokens but the model only \(model.info.vocabularySize) (vocab_size); if it extends the model's own tokenizer ('c2s tokenizer extend'), pass --grow-vocabulary to give the model rows for the new tokens")
            }
            guard weights == .fp32 else {
                throw TrainingError.invalidInput("--grow-vocabulary: the new tokens' rows must be trained, and LoRA keeps the base frozen; fine-tune all weights (no --lora-rank)")
            }
            let own = try loadTokenizer(folder)
            if let id = GeneTokenExtension.firstChangedID(of: own, in: tokenizer) {
                throw TrainingError.invalidInput("\(tokenizerFolder): does not extend the tokenizer of \(folder): id \(id) is \(own.token(forID: id).map { "\"\($0)\"" } ?? "unused") there and \(tokenizer.token(forID: id).map { "\"\($0)\"" } ?? "unused") here (make it with 'c2s tokenizer extend \(folder) ...')")
            }
            grownFrom = model.info.vocabularySize
            let grown = try VocabularyGrowth.grow(model, config: config, configURL: configURL, to: tokenizer.vocabularySize, seed: seed)
            model = grown.model
            config = grown.config
        }
        try checkVocabulary(tokenizer, model: model, source: folder)
        let eos = try endOfSequence(tokenizer, config: config, source: tokenizerFolder)
        var generation: [String: Any] = ["bos_token_id": config["bos_token_id"] ?? NSNull(), "eos_token_id": config["eos_token_id"] ?? Int(eos)]
        if let file = try GenerationConfigFile.read(folder: URL(fileURLWithPath: folder)) { generation = file.values }
        return TrainingModelSource(model: model, tokenizer: tokenizer, tokenizerFolder: tokenizerFolder, config: config,
                                generationConfig: generation, eosTokenID: eos,
                                description: "fine-tuning \(folder)" + (model.parameters.matrixPrecision == .fp32 ? "" : " (\(model.parameters.matrixPrecision.rawValue) weights)")
                                    + (grownFrom.map { ", vocabulary grown from \($0) to \(tokenizer.vocabularySize) ids" } ?? ""))
    }

    /// A new model from `configPath`'s `config.json` or from `sizes`, with `tokenizerFolder`'s
    /// tokenizer: the vocabulary size and special token ids come from the tokenizer unless the
    /// config sets them, and the weights from `initializeParameters(seed:)`.
    public static func new(configPath: String?, sizes: NewModelSizes?, tokenizerFolder: String, seed: UInt64) throws -> TrainingModelSource {
        let tokenizer = try loadTokenizer(tokenizerFolder)
        var values: [String: Any]
        let url: URL
        if let configPath {
            url = URL(fileURLWithPath: configPath)
            values = try ConfigFile(url: url).values
            if values["vocab_size"] == nil { values["vocab_size"] = tokenizer.vocabularySize }
            for (key, id) in [("bos_token_id", tokenizer.bosTokenID), ("eos_token_id", tokenizer.eosTokenID)] where values[key] == nil {
                values[key] = id.map { Int($0) as Any } ?? NSNull()
            }
        } else {
            let s = sizes!
            url = URL(fileURLWithPath: "config.json")
            values = try NewModelConfig(modelType: s.type, vocabularySize: tokenizer.vocabularySize, hiddenSize: s.hiddenSize,
                                        layers: s.layers, heads: s.heads, intermediateSize: s.intermediateSize, contextLength: s.context,
                                        bosTokenID: tokenizer.bosTokenID, eosTokenID: tokenizer.eosTokenID,
                                        padTokenID: tokenizer.padTokenID).json()
        }
        let file = ConfigFile(url: url, values: values)
        let source = configPath ?? "--new-model \(sizes!.type)"
        guard let type = file.modelType, trainableTypes.contains(type) else {
            throw ModelError.invalidConfig(url, "model_type \(file.modelType.map { "\"\($0)\"" } ?? "is missing and") cannot be trained (trainable: \(trainableTypes.joined(separator: ", ")))")
        }
        let model = try trainable(try ModelLoader.makeModel(file), from: source)
        try checkVocabulary(tokenizer, model: model, source: source)
        model.initializeParameters(seed: seed)
        let eos = try endOfSequence(tokenizer, config: values, source: tokenizerFolder)
        let generation: [String: Any] = ["bos_token_id": values["bos_token_id"] ?? NSNull(), "eos_token_id": values["eos_token_id"] ?? Int(eos)]
        let info = model.info
        let description = "new \(info.modelType) model (\(info.layers) layers, hidden \(info.hiddenSize), context \(info.contextLength), vocabulary \(info.vocabularySize), \(model.parameters.count) parameters)"
        return TrainingModelSource(model: model, tokenizer: tokenizer, tokenizerFolder: tokenizerFolder, config: values,
                                generationConfig: generation, eosTokenID: eos, description: description)
    }

    static func loadTokenizer(_ folder: String) throws -> Tokenizer {
        let url = URL(fileURLWithPath: folder)
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path) else {
            throw ModelError.missingFile(url, "tokenizer.json", "training needs the tokenizer; give --tokenizer DIR, e.g. from 'c2s tokenizer train'")
        }
        return try Tokenizer.load(folder: url)
    }

    static func checkVocabulary(_ tokenizer: Tokenizer, model: any TrainableModel, source: String) throws {
        guard tokenizer.vocabularySize <= model.info.vocabularySize else {
            throw TrainingError.invalidInput("\(source): the tokenizer has \(tokenizer.vocabularySize) tokens but the model only \(model.info.vocabularySize) (vocab_size)")
        }
    }

    /// The EOS token: the tokenizer's, else the config's first `eos_token_id`.
    static func endOfSequence(_ tokenizer: Tokenizer, config: [String: Any], source: String) throws -> Int32 {
        if let eos = tokenizer.eosTokenID { return eos }
        if let eos = ConfigFile(url: URL(fileURLWithPath: source), values: config).tokenIDs("eos_token_id").first { return eos }
        throw TrainingError.invalidInput("\(source): the tokenizer has no EOS token (eos_token in tokenizer_config.json) and the config no eos_token_id; every example ends with EOS")
    }

    /// The tokenizer's files, copied into every saved folder.
    public var tokenizerFiles: [(name: String, source: String)] {
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"].compactMap { name in
            let path = (tokenizerFolder as NSString).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: path) ? (name, path) : nil
        }
    }
}
