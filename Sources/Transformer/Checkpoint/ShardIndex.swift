import Foundation

/// `model.safetensors.index.json`: which shard file holds each tensor.
///
/// The Hugging Face layout is `{"metadata": {"total_size": bytes, ...}, "weight_map": {name: file}}`.
/// Only `weight_map` matters for reading; `metadata` is informational.
struct ShardIndex {
    /// Tensor name → shard file name (relative to the folder).
    let weightMap: [String: String]
    /// The shard files in a stable order (sorted), each listed once.
    let shardFiles: [String]

    init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CheckpointError.io(path: path, operation: "read", reason: error.localizedDescription)
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw CheckpointError.invalidIndex(path: path, problem: "not valid JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else {
            throw CheckpointError.invalidIndex(path: path, problem: "the file must hold a JSON object")
        }
        guard let map = root["weight_map"] as? [String: Any] else {
            throw CheckpointError.invalidIndex(path: path, problem: "missing or malformed \"weight_map\" (an object from tensor name to shard file)")
        }
        var weightMap: [String: String] = [:]
        for (tensor, value) in map {
            guard let file = value as? String, !file.isEmpty else {
                throw CheckpointError.invalidIndex(path: path, problem: "weight_map entry \"\(tensor)\" must be a shard file name")
            }
            // Shards sit beside the index; a path elsewhere would let an index read any file.
            guard !file.contains("/"), file != ".", file != ".." else {
                throw CheckpointError.invalidIndex(path: path, problem: "weight_map entry \"\(tensor)\" names \"\(file)\", which is not a file name in the checkpoint folder")
            }
            weightMap[tensor] = file
        }
        guard !weightMap.isEmpty else {
            throw CheckpointError.invalidIndex(path: path, problem: "weight_map is empty")
        }
        self.weightMap = weightMap
        shardFiles = Set(weightMap.values).sorted()
    }
}
