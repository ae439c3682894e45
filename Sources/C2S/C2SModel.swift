import CellSentences
import Foundation
import SingleCell
import Transformer

/// A C2S model loaded once for a whole run: the language model, its tokenizer, the tokens that
/// end a response, and what is known about its training (`c2s.json`, and the training sentence
/// dataset's `manifest.json` + `vocab.tsv`: conversion settings, gene vocabulary, inverse
/// transform).
///
/// Every piece of metadata is optional; a task that needs one asks for it through the
/// `require...` functions, whose errors say what is missing and how to supply it.
public final class C2SModel: @unchecked Sendable {
    public let folder: String
    public let language: any CausalLanguageModel
    public let tokenizer: Tokenizer
    /// Tokens that end a generated response: the config's and generation_config.json's EOS ids
    /// (`GenerationConfigFile.stopTokens`), and the tokenizer's EOS token.
    public let stopTokens: [Int32]
    /// The end-of-sequence token appended to responses in training (scored after a label).
    public let endToken: Int32
    public let metadata: C2SMetadata?
    /// The training sentence dataset's manifest and vocabulary, when known.
    public let sentences: SentenceDataset?

    /// Loads the model in `folder`. `sentences` names the training sentence dataset (its folder,
    /// or any folder with its `manifest.json` and `vocab.tsv`) when the model folder lacks it.
    ///
    /// With `adapter` (a LoRA adapter folder, e.g. from `c2s train --lora-rank`), the adapter
    /// runs on top of the model in `folder`; the tokenizer and `c2s.json` come from the folder
    /// `ModelLoader.tokenizerFolder` picks (the adapter's, where c2s train writes them).
    /// `weights` is the precision the weight matrices are kept in (`WeightPrecision`; fp32 by
    /// default, as `ModelLoader.load`); `quantize`, when given, quantizes them as they load
    /// instead (`WeightQuantization`).
    public convenience init(folder: String, adapter: String? = nil, sentences: String? = nil, weights: WeightPrecision = .fp32,
                            quantize: WeightQuantization? = nil) throws {
        let language = try ModelLoader.load(folder: URL(fileURLWithPath: folder), adapter: adapter, weights: weights, quantize: quantize)
        try self.init(folder: ModelLoader.tokenizerFolder(model: folder, adapter: adapter).path, language: language, sentences: sentences)
    }

    /// The folder's tokenizer and metadata with a language model already in memory (tests use
    /// it to put a hand-built model behind a real tokenizer and `c2s.json`).
    init(folder: String, language: any CausalLanguageModel, sentences: String? = nil) throws {
        self.folder = folder
        let url = URL(fileURLWithPath: folder)
        self.language = language
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path) else {
            throw ModelError.missingFile(url, "tokenizer.json", "C2S tasks read and write text, so they need the model's tokenizer")
        }
        tokenizer = try Tokenizer.load(folder: url)
        // A damaged generation_config.json is an error, as in `c2s lm generate`: ignored, it
        // silently changed where responses end.
        var ids = try GenerationConfigFile.stopTokens(language.info.eosTokenIDs, folder: url)
        if let eos = tokenizer.eosTokenID, !ids.contains(eos) { ids.append(eos) }
        guard let end = tokenizer.eosTokenID ?? ids.first else {
            throw ModelError.invalidConfig(url.appendingPathComponent("config.json"),
                                           "names no end-of-sequence token (eos_token_id), and tokenizer_config.json names no eos_token; responses could not end")
        }
        stopTokens = ids
        endToken = end
        let metadata = try C2SMetadata.read(folder: folder)
        self.metadata = metadata
        self.sentences = try Self.findSentences(model: folder, metadata: metadata, given: sentences)
    }

    /// The training sentence dataset: the one given, the copies beside `c2s.json`, the folder
    /// it names, a `sentences/` subfolder, or the dataset's original path (the first that has
    /// both files).
    static func findSentences(model: String, metadata: C2SMetadata?, given: String?) throws -> SentenceDataset? {
        if let given { return try SentenceDataset(folder: given) }
        var candidates = [model]
        if let named = metadata?.sentencesFolder {
            candidates.append(named.hasPrefix("/") ? named : (model as NSString).appendingPathComponent(named))
        }
        candidates.append((model as NSString).appendingPathComponent("sentences"))
        if let original = metadata?.sentenceDatasetPath { candidates.append(original) }
        for folder in candidates {
            let fm = FileManager.default
            if fm.fileExists(atPath: folder + "/manifest.json") && fm.fileExists(atPath: folder + "/vocab.tsv") {
                return try SentenceDataset(folder: folder)
            }
        }
        return nil
    }

    /// What the model folder lacks, phrased once for every message.
    private var missingMetadata: String {
        metadata == nil ? "the model folder has no C2S metadata (\(C2SMetadata.fileName), written by 'c2s train')" : "\(metadata!.path) does not record it"
    }

    /// The training sentence dataset, or an error saying that `purpose` needs it.
    public func requireSentences(for purpose: String) throws -> SentenceDataset {
        if let sentences { return sentences }
        throw FileError(folder, "\(purpose) needs the gene vocabulary and conversion settings of the sentence dataset the model was trained on (its manifest.json and vocab.tsv, copied into the model folder by 'c2s train --sentences DIR'), but no copy is here; give the dataset with --sentences DIR")
    }

    /// The labels to choose among for `task`: `given` (from `--labels`), else the ones the
    /// model saw in training.
    public func requireLabels(task: String, given: [String]?) throws -> [String] {
        if let given {
            guard !given.isEmpty else { throw DataError("the label list is empty") }
            return given
        }
        if let labels = metadata?.labels(for: task), !labels.isEmpty { return labels }
        throw FileError(folder, "choosing among known labels needs the labels the model was trained on, but \(missingMetadata); give them with --labels FILE (one label per line), or generate freely with --mode free")
    }

    /// A warning when the model's metadata lists its tasks and `task` is not among them.
    public func taskWarning(_ task: String) -> String? {
        guard let tasks = metadata?.tasks, !tasks.isEmpty, !tasks.contains(task) else { return nil }
        return "the model was trained on \(tasks.joined(separator: ", ")), not on \(task); its answers may be meaningless"
    }

    /// Genes per cell in prompts: `given`, the training value, or 200 (the released models').
    public func topGenes(_ given: Int?) -> Int { given ?? metadata?.topGenes ?? 200 }

    public func organism(_ given: String?) -> String { given ?? metadata?.organism ?? "Homo sapiens" }

    /// Token ids of a model input (with the tokenizer's special tokens, e.g. Gemma's BOS).
    public func encodePrompt(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// Token ids of text that continues a prompt (no special tokens).
    public func encodeContinuation(_ text: String) -> [Int32] { tokenizer.encode(text, addSpecialTokens: false) }

    /// What joins model input and response (`c2s.json`'s `separator`, default one space).
    public var separator: String { metadata?.separator ?? " " }
}
