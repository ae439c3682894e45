import Foundation
import Mechanics

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
    /// A LoRA adapter's `adapter_config.json`: when set, the parameters are the adapters and
    /// go to `adapter_model.safetensors` beside it, as PEFT saves them, and no `config.json`
    /// is written (the folder is an adapter, not a model).
    public var adapterConfig: [String: Any]?

    public init(config: [String: Any], generationConfig: [String: Any]? = nil,
                copiedFiles: [(name: String, source: String)] = [], extraFiles: [(name: String, data: Data)] = []) {
        self.config = config
        self.generationConfig = generationConfig
        self.copiedFiles = copiedFiles
        self.extraFiles = extraFiles
    }

    /// JSON as transformers writes its config files: two-space indentation, sorted keys,
    /// trailing newline, and floats written as floats. Foundation's writer prints a double
    /// with an integral value as an integer (`30.0` → `30`), and transformers 5's strict
    /// config classes then refuse the file (Gemma-2's `final_logit_softcapping` must be a
    /// float), so numbers keep the type they were read with.
    public static func jsonData(_ object: [String: Any]) throws -> Data {
        var text = ""
        try write(object, indent: 0, into: &text)
        text += "\n"
        return Data(text.utf8)
    }

    private static func write(_ value: Any, indent: Int, into text: inout String) throws {
        let pad = String(repeating: " ", count: indent + 2), closing = String(repeating: " ", count: indent)
        switch value {
        case let dictionary as [String: Any]:
            guard !dictionary.isEmpty else { text += "{}"; return }
            text += "{\n"
            for (i, key) in dictionary.keys.sorted().enumerated() {
                text += pad + (try fragment(key)) + ": "
                try write(dictionary[key]!, indent: indent + 2, into: &text)
                text += i + 1 < dictionary.count ? ",\n" : "\n"
            }
            text += closing + "}"
        case let array as [Any]:
            guard !array.isEmpty else { text += "[]"; return }
            text += "[\n"
            for (i, element) in array.enumerated() {
                text += pad
                try write(element, indent: indent + 2, into: &text)
                text += i + 1 < array.count ? ",\n" : "\n"
            }
            text += closing + "]"
        case let number as NSNumber where !(value is Bool) && String(cString: number.objCType) == "d":
            let d = number.doubleValue
            guard d.isFinite else { throw CheckpointError.io(path: "config.json", operation: "encode", reason: "the number \(d) is not finite") }
            text += "\(d)"
        case let d as Double where !(value is NSNumber):
            guard d.isFinite else { throw CheckpointError.io(path: "config.json", operation: "encode", reason: "the number \(d) is not finite") }
            text += "\(d)"
        default:
            text += try fragment(value)
        }
    }

    /// A string, integer, Bool or null as Foundation writes it.
    private static func fragment(_ value: Any) throws -> String {
        do {
            let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw CheckpointError.io(path: "config.json", operation: "encode", reason: error.localizedDescription)
        }
    }

    /// Writes the weights of `parameters` (in the checkpoint layout, see
    /// `ParameterStore.withStoredTensors`) and every other file into the existing folder
    /// `folder`, each through a temporary name renamed into place.
    public func write(_ parameters: ParameterStore, to folder: String, maxShardSize: Int = SafetensorsWriter.defaultMaxShardSize) throws {
        var files: [(String, Data)]
        if let adapterConfig {
            try parameters.withStoredTensors { writer in
                try writer.write(to: (folder as NSString).appendingPathComponent(LoRAConfiguration.weightsFileName))
            }
            files = [(LoRAConfiguration.configFileName, try Self.jsonData(adapterConfig))]
        } else {
            try parameters.withStoredTensors { writer in
                _ = try writer.writeCheckpoint(folder: folder, maxShardSize: maxShardSize)
            }
            files = [("config.json", try Self.jsonData(config))]
        }
        if let generationConfig { files.append(("generation_config.json", try Self.jsonData(generationConfig))) }
        for (name, source) in copiedFiles {
            guard let data = FileManager.default.contents(atPath: source) else {
                throw CheckpointError.io(path: source, operation: "read", reason: "the file cannot be read")
            }
            files.append((name, data))
        }
        files += extraFiles
        for (name, data) in files {
            try AtomicFile.write(data, to: (folder as NSString).appendingPathComponent(name), failure: CheckpointError.atomicFailure)
        }
    }
}
