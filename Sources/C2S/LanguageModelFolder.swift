import Foundation
import Transformer

/// The files an `lm` command reads beside a model's weights: its tokenizer and its
/// `generation_config.json`. `model` is the Hugging Face folder (or a LoRA adapter folder
/// naming its base) and `adapter` a LoRA adapter run on top of it, as `ModelLoader.load` takes
/// them.
public struct LanguageModelFolder: Sendable {
    public var model: String
    public var adapter: String?

    public init(model: String, adapter: String? = nil) {
        self.model = model
        self.adapter = adapter
    }

    /// Whether the model folder has a `tokenizer.json`: then outputs include text, which
    /// token-id prompts alone do not need.
    public var hasTokenizer: Bool {
        FileManager.default.fileExists(atPath: (model as NSString).appendingPathComponent("tokenizer.json"))
    }

    /// The tokenizer of the folder `ModelLoader.tokenizerFolder` picks (an adapter's own, else
    /// the model's); an error that says token ids need none when it is missing.
    public func tokenizer() throws -> Tokenizer {
        let folder = ModelLoader.tokenizerFolder(model: model, adapter: adapter)
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path) else {
            throw ModelError.missingFile(folder, "tokenizer.json", "text prompts need the model's tokenizer; --prompt-ids takes token ids instead")
        }
        return try Tokenizer.load(folder: folder)
    }

    /// The ids that end generation for `language` loaded from this folder: its config's
    /// end-of-sequence ids and the model folder's `generation_config.json`'s
    /// (`GenerationConfigFile`; a damaged file is an error naming it).
    public func stopTokens(_ language: any CausalLanguageModel) throws -> [Int32] {
        try GenerationConfigFile.stopTokens(language.info.eosTokenIDs, folder: URL(fileURLWithPath: model))
    }
}
