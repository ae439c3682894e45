import Foundation

/// What we use from `tokenizer_config.json` (transformers' file next to `tokenizer.json`).
public struct TokenizerConfig: Sendable, Equatable {
    public var bosToken: String?
    public var eosToken: String?
    public var padToken: String?
    public var unkToken: String?
    /// `add_bos_token` / `add_eos_token` as written (nil when absent). transformers 5 ignores
    /// both when a `tokenizer.json` exists (its post-processor decides), and so do we; they are
    /// kept for callers that build prompts by hand.
    public var addBOSToken: Bool?
    public var addEOSToken: Bool?
    /// `model_max_length`, nil when absent or transformers' "very large" placeholder (1e30).
    public var modelMaxLength: Int?

    public init() {}

    static func parse(_ data: Data, file: String) throws(TokenizerError) -> TokenizerConfig {
        let root: JSONValue
        do { root = try JSONParser.parse(data) } catch {
            throw TokenizerError(.malformedJSON, file: file, "not valid JSON at byte \(error.offset): \(error.reason)")
        }
        let reader = SpecReader(file: file)
        _ = try reader.object(root, "top level")
        var config = TokenizerConfig()
        // Special tokens come as a string or as an AddedToken object {"content": ...}.
        func token(_ key: String) throws(TokenizerError) -> String? {
            guard let value = root[key], !value.isNull else { return nil }
            if let s = value.stringValue { return s }
            if case .object = value { return try reader.string(value["content"], key + ".content") }
            throw reader.invalid(key, "expected a string, an AddedToken object or null, found \(value.typeName)")
        }
        config.bosToken = try token("bos_token")
        config.eosToken = try token("eos_token")
        config.padToken = try token("pad_token")
        config.unkToken = try token("unk_token")
        if let v = root["add_bos_token"], !v.isNull { config.addBOSToken = try reader.bool(v, "add_bos_token", default: false) }
        if let v = root["add_eos_token"], !v.isNull { config.addEOSToken = try reader.bool(v, "add_eos_token", default: false) }
        if let v = root["model_max_length"], !v.isNull {
            guard let d = v.doubleValue, d >= 0 else { throw reader.invalid("model_max_length", "expected a non-negative number, found \(v.typeName)") }
            config.modelMaxLength = d < 1e15 ? Int(d) : nil
        }
        return config
    }
}
