import Foundation

/// What a `config.json` says about sizes that the checkpoint's tensors say too: the layer
/// count, and each size key against one dimension of one tensor. Checked before the model's
/// arenas are allocated, so that a config that lies (a `hidden_size` of 2^31 over a 64-wide
/// checkpoint) is refused with an error naming the file and the key instead of an allocation of
/// terabytes. Once every size agrees, the arenas are no larger than the checkpoint itself.
public struct ConfigTensorAgreement: Sendable {
    /// One size key and the tensor dimension that must equal it.
    public struct Dimension: Sendable {
        /// The key as the user reads it in config.json (or a product of keys:
        /// `num_attention_heads × head_dim`).
        public var key: String
        public var value: Int
        /// The tensor's name as the architecture names it (after `parameterName`).
        public var tensor: String
        /// Which dimension of the tensor's stored shape.
        public var axis: Int

        public init(_ key: String, _ value: Int, tensor: String, axis: Int) {
            self.key = key
            self.value = value
            self.tensor = tensor
            self.axis = axis
        }
    }

    /// The layer-count key (`num_hidden_layers`, GPT-2's `n_layer`).
    public var layerKey: String
    public var layers: Int
    /// What every layer tensor's name starts with, before the layer index (`model.layers.`).
    public var layerPrefix: String
    public var dimensions: [Dimension]

    public init(layerKey: String, layers: Int, layerPrefix: String, dimensions: [Dimension]) {
        self.layerKey = layerKey
        self.layers = layers
        self.layerPrefix = layerPrefix
        self.dimensions = dimensions
    }

    /// Throws, naming `config` and the key, at the first size the tensors of `store` (seen
    /// through `rename`) contradict, or that no tensor can confirm.
    public func check(_ store: some TensorStore, rename: (String) -> String, config: URL) throws {
        var shapes: [String: [Int]] = [:]
        var layerIndices = Set<Int>()
        for name in store.tensorNames {
            let renamed = rename(name)
            shapes[renamed] = try store.info(name).shape
            if renamed.hasPrefix(layerPrefix), let index = Int(renamed.dropFirst(layerPrefix.count).prefix { $0 != "." }) {
                layerIndices.insert(index)
            }
        }
        let found = (layerIndices.max() ?? -1) + 1
        guard found == layers else {
            throw ModelError.invalidConfig(config, "\"\(layerKey)\" is \(layers) but the checkpoint \(store.source) holds \(found) layer\(found == 1 ? "" : "s") (\(layerPrefix)N tensors)")
        }
        for d in dimensions {
            guard let shape = shapes[d.tensor] else {
                throw ModelError.invalidConfig(config, "\"\(d.key)\" (\(d.value)) cannot be checked: the checkpoint \(store.source) has no tensor \(d.tensor)")
            }
            guard d.axis < shape.count, shape[d.axis] == d.value else {
                throw ModelError.invalidConfig(config, "\"\(d.key)\" is \(d.value) but the checkpoint's \(d.tensor) has shape \(shape) (dimension \(d.axis + 1) should be \(d.value))")
            }
        }
    }
}

extension ParameterSpec {
    /// The total element count of `specs`, or nil when it overflows `Int`.
    public static func totalCount(_ specs: [ParameterSpec]) -> Int? {
        var total = 0
        for spec in specs {
            var count = 1
            for n in spec.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: n)
                if overflow { return nil }
                count = product
            }
            let (sum, overflow) = total.addingReportingOverflow(count)
            if overflow { return nil }
            total = sum
        }
        return total
    }
}
