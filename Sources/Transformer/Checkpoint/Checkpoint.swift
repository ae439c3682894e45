import Foundation

/// The weights of a Hugging Face model folder, presented as one name → tensor lookup whether
/// they are stored in `model.safetensors` or in shards listed by `model.safetensors.index.json`.
///
/// Opening maps and validates every file and checks the index against the shards' headers:
/// a shard file that is missing, a tensor the index places in a shard that does not hold it,
/// and a tensor held by two shards are all errors. Tensors present in a shard but absent from
/// the index are kept (transformers reads shards whole, so it would load them too).
public struct Checkpoint: TensorStore {
    /// The names a Hugging Face folder uses, in the order transformers looks for them:
    /// the single file wins over an index when both exist.
    public static let singleFileName = "model.safetensors"
    public static let indexFileName = "model.safetensors.index.json"

    /// The folder (or, for `init(file:)`, the file) the weights were opened from.
    public let source: String
    /// The mapped files, in a stable order (one for a single-file checkpoint).
    public let files: [SafetensorsFile]
    private let location: [String: Int]

    /// Opens the weights of the model folder `folder`.
    public init(folder: String) throws {
        let single = (folder as NSString).appendingPathComponent(Self.singleFileName)
        let index = (folder as NSString).appendingPathComponent(Self.indexFileName)
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw CheckpointError.noWeights(folder: folder, hint: "the folder does not exist")
        }
        if manager.fileExists(atPath: single) {
            try self.init(source: folder, files: [SafetensorsFile(path: single)])
        } else if manager.fileExists(atPath: index) {
            try self.init(folder: folder, index: index)
        } else {
            throw CheckpointError.noWeights(folder: folder, hint: Self.missingWeightsHint(folder: folder))
        }
    }

    /// Opens one safetensors file as a checkpoint.
    public init(file: String) throws {
        try self.init(source: file, files: [SafetensorsFile(path: file)])
    }

    private init(folder: String, index indexPath: String) throws {
        let index = try ShardIndex(path: indexPath)
        var files: [SafetensorsFile] = []
        for shard in index.shardFiles {
            let path = (folder as NSString).appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: path) else {
                let listed = index.weightMap.values.filter { $0 == shard }.count
                throw CheckpointError.invalidIndex(path: indexPath, problem: "shard file \(shard) (holding \(listed) tensors) is missing from the folder")
            }
            files.append(try SafetensorsFile(path: path))
        }
        try self.init(source: folder, files: files)
        for (tensor, shard) in index.weightMap.sorted(by: { $0.key < $1.key }) {
            let holder = location[tensor].map { (files[$0].path as NSString).lastPathComponent }
            guard holder == shard else {
                throw CheckpointError.invalidIndex(path: indexPath, problem: "the index places tensor \"\(tensor)\" in \(shard), but that shard does not hold it" + (holder.map { " (it is in \($0))" } ?? ""))
            }
        }
    }

    private init(source: String, files: [SafetensorsFile]) throws {
        var location: [String: Int] = [:]
        for (i, file) in files.enumerated() {
            for info in file.tensors {
                if let other = location.updateValue(i, forKey: info.name) {
                    throw CheckpointError.invalidIndex(path: source, problem: "tensor \"\(info.name)\" is stored in two shards, \((files[other].path as NSString).lastPathComponent) and \((file.path as NSString).lastPathComponent)")
                }
            }
        }
        self.source = source
        self.files = files
        self.location = location
    }

    /// Every tensor name, file by file in data order.
    public var tensorNames: [String] { files.flatMap(\.tensorNames) }

    /// The `__metadata__` of the first file (every file written by transformers has `format: pt`).
    public var metadata: [String: String] { files.first?.metadata ?? [:] }

    /// The file holding tensor `name`.
    public func file(holding name: String) throws -> SafetensorsFile {
        guard let i = location[name] else { throw CheckpointError.tensorNotFound(path: source, tensor: name) }
        return files[i]
    }

    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        try file(holding: name).info(name)
    }

    public func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        try file(holding: name).copyFloats(name, into: destination, count: count)
    }

    public func copyFloatsTransposed(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        try file(holding: name).copyFloatsTransposed(name, into: destination, count: count)
    }

    public func copyBFloat16(_ name: String, into destination: UnsafeMutablePointer<UInt16>, count: Int) throws {
        try file(holding: name).copyBFloat16(name, into: destination, count: count)
    }

    /// What a folder without safetensors weights holds instead, and what to do about it.
    static func missingWeightsHint(folder: String) -> String {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        let convert = "only safetensors weights are supported; convert them with: python -c \"from transformers import AutoModelForCausalLM as M; D='\(folder)'; M.from_pretrained(D).save_pretrained(D, safe_serialization=True)\""
        if let pickle = names.first(where: { $0 == "pytorch_model.bin" || $0 == "pytorch_model.bin.index.json" }) {
            return "it holds \(pickle) (PyTorch pickle weights); " + convert
        }
        if let other = names.first(where: { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") || $0.hasSuffix(".h5") || $0.hasSuffix(".msgpack") }) {
            return "it holds \(other), not \(singleFileName); " + convert
        }
        let safetensors = names.filter { $0.hasSuffix(".safetensors") }
        if !safetensors.isEmpty {
            return "expected \(singleFileName) or \(indexFileName), but the folder has only \(safetensors.joined(separator: ", ")); open such a file with Checkpoint(file:)"
        }
        return "expected \(singleFileName) or \(indexFileName) (a Hugging Face model folder)"
    }
}
