import Foundation

/// A Hugging Face tokenizer loaded from `tokenizer.json` (BPE models: GPT-2, GPT-NeoX/Pythia,
/// Llama, Gemma), encoding and decoding exactly as the `tokenizers` library does.
///
/// Encoding follows `tokenizers`: added tokens are cut out of the raw text first (those with
/// `normalized: false`), each remaining stretch is normalized and searched again for the
/// `normalized: true` added tokens, the rest is pre-tokenized into words, each word is run
/// through BPE (with a bounded per-thread cache), and the post-processor adds special tokens.
///
/// Immutable after loading and safe to share between threads.
public final class Tokenizer: Sendable {
    let model: BPEModel
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: Decoder?
    /// Added tokens matched in the raw text / in the normalized text.
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    /// What `decode` and `token(forID:)` show for an added token's id: its content, or its
    /// normalized form when it is matched after normalization (`tokenizers` 0.23 does the same).
    let addedTokenText: [Int32: [UInt8]]
    let addedTokenIDs: ByteTable
    let specialTokenTexts: Set<[UInt8]>
    let scratchPool: ScratchPool

    /// The `added_tokens` of `tokenizer.json`, with the ids they got.
    public let addedTokens: [AddedToken]
    /// Number of distinct tokens: the model vocabulary plus added tokens that are not in it
    /// (`get_vocab_size(with_added_tokens=True)` in `tokenizers`).
    public let vocabularySize: Int
    /// `tokenizer_config.json` when one was loaded, else the defaults (all nil).
    public let config: TokenizerConfig
    public let bosTokenID: Int32?
    public let eosTokenID: Int32?
    public let padTokenID: Int32?
    public let unknownTokenID: Int32?
    /// `model_max_length` from `tokenizer_config.json`, nil when absent or unlimited.
    public var modelMaxLength: Int? { config.modelMaxLength }

    /// Loads `tokenizer.json` from `folder`, and `tokenizer_config.json` when present.
    public static func load(folder: URL) throws -> Tokenizer {
        let config = folder.appendingPathComponent("tokenizer_config.json")
        return try load(tokenizerJSON: folder.appendingPathComponent("tokenizer.json"),
                        config: FileManager.default.fileExists(atPath: config.path) ? config : nil)
    }

    /// Loads a `tokenizer.json` and, when given, a `tokenizer_config.json`.
    public static func load(tokenizerJSON: URL, config: URL?) throws -> Tokenizer {
        let data = try read(tokenizerJSON)
        var parsedConfig = TokenizerConfig()
        if let config { parsedConfig = try TokenizerConfig.parse(try read(config), file: config.path) }
        return try Tokenizer(json: data, file: tokenizerJSON.path, config: parsedConfig)
    }

    private static func read(_ url: URL) throws(TokenizerError) -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw TokenizerError(.unreadable, file: url.path, "cannot read the file (\(error.localizedDescription))")
        }
    }

    /// Builds a tokenizer from the bytes of a `tokenizer.json`; `file` is used in error messages.
    public init(json data: Data, file: String = "tokenizer.json", config: TokenizerConfig = TokenizerConfig()) throws(TokenizerError) {
        let root: JSONValue
        do { root = try JSONParser.parse(data) } catch {
            throw TokenizerError(.malformedJSON, file: file, "not valid JSON at byte \(error.offset): \(error.reason)")
        }
        let reader = SpecReader(file: file)
        _ = try reader.object(root, "top level")
        if let version = root["version"], !version.isNull {
            let v = try reader.string(version, "version")
            guard v == "1.0" else { throw TokenizerError(.unsupported, file: file, "version: unknown tokenizer version '\(v)' (supported: 1.0)") }
        }
        model = try reader.bpeModel(root["model"])
        normalizer = try reader.normalizer(root["normalizer"], "normalizer")
        preTokenizer = try reader.preTokenizer(root["pre_tokenizer"], "pre_tokenizer")
        postProcessor = try reader.postProcessor(root["post_processor"], "post_processor")
        decoder = try reader.decoder(root["decoder"], "decoder")
        addedTokens = try reader.addedTokens(root["added_tokens"], model: model)

        var raw: [(bytes: [UInt8], token: AddedToken)] = []
        var normalized: [(bytes: [UInt8], token: AddedToken)] = []
        var text: [Int32: [UInt8]] = [:]
        var ids = ByteTable(expectedCount: addedTokens.count)
        var specials = Set<[UInt8]>()
        var extra = 0
        for token in addedTokens {
            var bytes = Array(token.content.utf8)
            ids.set(bytes, token.id)
            if token.special { specials.insert(bytes) }
            if model.vocab.get(bytes) == nil { extra += 1 }
            if token.normalized {
                if let normalizer {
                    var atOrigin = true
                    normalizer.apply(&bytes, atOrigin: &atOrigin)
                }
                normalized.append((bytes, token))
            } else {
                raw.append((bytes, token))
            }
            text[token.id] = bytes
        }
        rawMatcher = AddedTokenMatcher(raw)
        normalizedMatcher = AddedTokenMatcher(normalized)
        addedTokenText = text
        addedTokenIDs = ids
        specialTokenTexts = specials
        vocabularySize = model.vocab.count + extra
        self.config = config
        scratchPool = ScratchPool(cacheEntries: 1 << 16)
        unknownTokenID = model.unknownID
        // Resolved like transformers: the config's token string looked up in the vocabulary.
        let vocab = model.vocab
        func lookup(_ token: String?) -> Int32? {
            guard let token else { return nil }
            let bytes = Array(token.utf8)
            return ids.get(bytes) ?? vocab.get(bytes)
        }
        bosTokenID = lookup(config.bosToken)
        eosTokenID = lookup(config.eosToken)
        padTokenID = lookup(config.padToken)
    }

    /// The id of a token string (added tokens first, then the model vocabulary).
    public func id(forToken token: String) -> Int32? {
        let bytes = Array(token.utf8)
        return addedTokenIDs.get(bytes) ?? model.vocab.get(bytes)
    }

    /// The string of a token id, nil for an id no token has.
    public func token(forID id: Int32) -> String? {
        tokenBytes(id).map { String(decoding: $0, as: UTF8.self) }
    }

    func tokenBytes(_ id: Int32) -> [UInt8]? {
        if let text = addedTokenText[id] { return text }
        guard id >= 0, Int(id) < model.tokens.count else { return nil }
        return model.tokens[Int(id)]
    }

    /// Whether `id` is a special added token (skipped by `decode(_:skipSpecialTokens: true)`).
    public func isSpecial(_ id: Int32) -> Bool {
        tokenBytes(id).map { specialTokenTexts.contains($0) } ?? false
    }
}
