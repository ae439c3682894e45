import Foundation

/// Everything in a Hugging Face model folder besides the weights: `config.json`,
/// `generation_config.json`, the tokenizer's files and any files of our own, so that
/// transformers' `from_pretrained`, `AutoTokenizer` and `c2s lm` all open the folder.
public struct ModelFolderContents: @unchecked Sendable {
    // @unchecked: the JSON dictionaries hold Foundation values that are never mutated.

    /// `config.json` (must hold `model_type`).
    public var config: [String: Any]
    /// `generation_config.json`, when there is one.
    public var generationConfig: [String: Any]?
    /// Files copied byte for byte (e.g. `tokenizer.json` from the tokenizer's folder), as
    /// (name in the model folder, source path).
    public var copiedFiles: [(name: String, source: String)]
    /// Files written from memory, as (name, bytes).
    public var extraFiles: [(name: String, data: Data)]

    public init(config: [String: Any], generationConfig: [String: Any]? = nil,
                copiedFiles: [(name: String, source: String)] = [], extraFiles: [(name: String, data: Data)] = []) {
        self.config = config
        self.generationConfig = generationConfig
        self.copiedFiles = copiedFiles
        self.extraFiles = extraFiles
    }

    /// JSON as transformers writes its config files: two-space indentation, sorted keys,
    /// trailing newline.
    public static func jsonData(_ object: [String: Any]) throws -> Data {
        do {
            var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            data.append(0x0A)
            return data
        } catch {
            throw CheckpointError.io(path: "config.json", operation: "encode", reason: error.localizedDescription)
        }
    }

    /// Writes the weights of `parameters` (in the checkpoint layout, see
    /// `ParameterStore.withStoredTensors`) and every other file into the existing folder
    /// `folder`, each through a temporary name renamed into place.
    public func write(_ parameters: ParameterStore, to folder: String, maxShardSize: Int = SafetensorsWriter.defaultMaxShardSize) throws {
        try parameters.withStoredTensors { writer in
            _ = try writer.writeCheckpoint(folder: folder, maxShardSize: maxShardSize)
        }
        var files: [(String, Data)] = [("config.json", try Self.jsonData(config))]
        if let generationConfig { files.append(("generation_config.json", try Self.jsonData(generationConfig))) }
        for (name, source) in copiedFiles {
            guard let data = FileManager.default.contents(atPath: source) else {
                throw CheckpointError.io(path: source, operation: "read", reason: "the file cannot be read")
            }
            files.append((name, data))
        }
        files += extraFiles
        for (name, data) in files {
            let file = try AtomicFile(path: (folder as NSString).appendingPathComponent(name))
            try file.write(Array(data))
            try file.commit()
        }
    }
}
