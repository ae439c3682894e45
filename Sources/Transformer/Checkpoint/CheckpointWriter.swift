import Foundation
import Mechanics

extension SafetensorsWriter {
    /// Default shard limit of transformers 5's `save_pretrained` ("50GB", decimal gigabytes).
    public static let defaultMaxShardSize = 50_000_000_000

    /// Writes the queued tensors into the model folder `folder` as `save_pretrained` does:
    /// `model.safetensors` when everything fits in one shard of at most `maxShardSize` bytes,
    /// otherwise `model-00001-of-0000N.safetensors`… plus `model.safetensors.index.json`.
    ///
    /// Sharding follows huggingface_hub's `split_state_dict_into_shards_factory`: tensors are
    /// taken in the order they were added; one larger than the limit gets a shard of its own;
    /// otherwise a new shard starts when the next tensor would take the current one over the
    /// limit. The index has the bytes of `json.dumps(index, indent=2, sort_keys=True) + "\n"`
    /// with `metadata.total_size` (data bytes) and `metadata.total_parameters` (elements).
    ///
    /// Every file goes through a temporary name. Afterwards, weight files of an earlier save
    /// that the new one does not use are removed (transformers removes stale shards; we also
    /// remove a stale `model.safetensors`, which would otherwise shadow a new index, and a stale
    /// index beside a new single file).
    ///
    /// - Returns: the names of the files written, shards first.
    @discardableResult
    public func writeCheckpoint(folder: String, maxShardSize: Int = SafetensorsWriter.defaultMaxShardSize) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(path: folder, operation: "create the folder", reason: error.localizedDescription)
        }
        let shards = Self.planShards(tensors, maxShardSize: maxShardSize)
        var written: [String] = []
        if shards.count <= 1 {
            try Self.write(shards.first ?? [], metadata: metadata, to: path(folder, Checkpoint.singleFileName))
            written = [Checkpoint.singleFileName]
        } else {
            var weightMap: [(String, String)] = []
            for (i, shard) in shards.enumerated() {
                let name = String(format: "model-%05d-of-%05d.safetensors", i + 1, shards.count)
                try Self.write(shard, metadata: metadata, to: path(folder, name))
                written.append(name)
                weightMap += shard.map { ($0.name, name) }
            }
            let totalSize = tensors.reduce(0) { $0 + $1.byteCount }
            let totalParameters = tensors.reduce(0) { $0 + $1.elementCount }
            let index = Self.indexJSON(weightMap: weightMap, totalSize: totalSize, totalParameters: totalParameters)
            try AtomicFile.write(Data(index.utf8), to: path(folder, Checkpoint.indexFileName), failure: CheckpointError.atomicFailure)
            written.append(Checkpoint.indexFileName)
        }
        try removeStaleWeights(folder: folder, keeping: Set(written))
        return written
    }

    /// Groups tensors into shards (see `writeCheckpoint`).
    static func planShards(_ tensors: [TensorToWrite], maxShardSize: Int) -> [[TensorToWrite]] {
        var shards: [[TensorToWrite]] = []
        var current: [TensorToWrite] = []
        var currentSize = 0
        for tensor in tensors {
            if tensor.byteCount > maxShardSize {
                shards.append([tensor])
                continue
            }
            if currentSize + tensor.byteCount > maxShardSize {
                shards.append(current)
                current = []
                currentSize = 0
            }
            current.append(tensor)
            currentSize += tensor.byteCount
        }
        if !current.isEmpty { shards.append(current) }
        return shards
    }

    /// The index file as Python's `json.dumps(index, indent=2, sort_keys=True) + "\n"` prints it.
    static func indexJSON(weightMap: [(String, String)], totalSize: Int, totalParameters: Int) -> String {
        let entries = weightMap.sorted { JSONText.codePointOrder($0.0, $1.0) }
            .map { "    \(JSONText.pythonString($0.0)): \(JSONText.pythonString($0.1))" }
        return """
        {
          "metadata": {
            "total_parameters": \(totalParameters),
            "total_size": \(totalSize)
          },
          "weight_map": {
        \(entries.joined(separator: ",\n"))
          }
        }

        """
    }

    private func removeStaleWeights(folder: String, keeping: Set<String>) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where !keeping.contains(name) && Self.isWeightFileName(name) {
            do {
                try FileManager.default.removeItem(atPath: path(folder, name))
            } catch {
                throw CheckpointError.io(path: path(folder, name), operation: "remove the stale weight file", reason: error.localizedDescription)
            }
        }
    }

    /// `model.safetensors`, `model.safetensors.index.json`, or `model-NNNNN-of-NNNNN.safetensors`.
    static func isWeightFileName(_ name: String) -> Bool {
        if name == Checkpoint.singleFileName || name == Checkpoint.indexFileName { return true }
        let bytes = Array(name.utf8)
        let pattern = Array("model-#####-of-#####.safetensors".utf8)
        guard bytes.count == pattern.count else { return false }
        for (b, p) in zip(bytes, pattern) {
            if p == UInt8(ascii: "#") ? !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) : b != p { return false }
        }
        return true
    }

    private func path(_ folder: String, _ name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }
}
