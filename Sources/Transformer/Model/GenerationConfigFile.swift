import Foundation

/// A model folder's `generation_config.json`, Hugging Face's generation defaults: the one
/// reader of the file, for the end-of-sequence ids that end generation (beside `config.json`'s)
/// and for its values, which training copies into the models it writes
/// (`ModelFolderContents.generationConfig`).
public struct GenerationConfigFile: @unchecked Sendable {
    // @unchecked: the JSON values are Foundation values that are never mutated.

    /// The file's name in a model folder.
    public static let fileName = "generation_config.json"

    /// The file, read key by key as `config.json` is.
    public let file: ConfigFile

    /// Every key of the file.
    public var values: [String: Any] { file.values }

    /// `eos_token_id`: one id or a list (integers only; others are not token ids).
    public var eosTokenIDs: [Int32] { file.tokenIDs("eos_token_id") }

    /// The file in `folder`, or nil when the folder has none. A file that is there but cannot
    /// be read or is not a JSON object is an error naming it (`ModelError.invalidConfig`):
    /// ignoring it would silently change where generation stops.
    public static func read(folder: URL) throws -> GenerationConfigFile? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return GenerationConfigFile(file: try ConfigFile(url: url))
    }

    /// The ids that end generation: `configIDs` (the model config's end-of-sequence ids), then
    /// those of `folder`'s `generation_config.json` not already among them. Errors as `read`.
    public static func stopTokens(_ configIDs: [Int32], folder: URL) throws -> [Int32] {
        var ids = configIDs
        for id in try read(folder: folder)?.eosTokenIDs ?? [] where !ids.contains(id) { ids.append(id) }
        return ids
    }
}
