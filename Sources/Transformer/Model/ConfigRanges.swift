import Foundation

/// Upper bounds on `config.json` sizes, far above every released model of the supported
/// architectures, so that a hostile or mistyped value is refused before it reaches an
/// allocation or a loop (a `hidden_size` of 2^31 once asked for 34 TB). Values within the bounds
/// are then checked against the checkpoint's tensors (`ConfigTensorAgreement`).
public enum ConfigLimits {
    /// hidden_size, intermediate_size, head_dim (the largest released: 53,248).
    public static let dimension = 1 << 20
    /// vocab_size (the largest released: 256,000).
    public static let vocabulary = 1 << 24
    /// num_hidden_layers, head counts (the largest released: 126 layers, 128 heads).
    public static let layers = 1 << 12
    /// max_position_embeddings (the longest released context of these architectures: 131,072).
    public static let positions = 1 << 21
}

extension ConfigFile {
    /// A positive integer no larger than `limit`: a size or a count.
    public func size(_ key: String, default value: Int? = nil, limit: Int) throws -> Int {
        let n = try positiveInt(key, default: value)
        guard n <= limit else {
            throw ModelError.invalidConfig(url, "key \"\(key)\" is \(n), more than the \(limit) this engine accepts")
        }
        return n
    }

    /// A positive size no larger than `limit` when present; nil when absent or null.
    public func optionalSize(_ key: String, limit: Int) throws -> Int? {
        switch values[key] {
        case nil, is NSNull: return nil
        default: return try size(key, limit: limit)
        }
    }

    /// A finite number greater than zero (epsilons, scales, soft caps, rotary bases).
    public func positiveFinite(_ key: String, default value: Double? = nil) throws -> Double {
        try Self.checkedPositiveFinite(try double(key, default: value), key: key, url: url)
    }

    /// A positive finite number when present; nil when absent or null.
    public func optionalPositiveFinite(_ key: String) throws -> Double? {
        try optionalDouble(key).map { try Self.checkedPositiveFinite($0, key: key, url: url) }
    }

    /// A finite number not below zero (initializer_range: 0 is a legal, if odd, choice).
    public func nonNegativeFinite(_ key: String, default value: Double) throws -> Double {
        let d = try double(key, default: value)
        guard d.isFinite, d >= 0 else {
            throw ModelError.invalidConfig(url, "key \"\(key)\" must be a finite number not below 0, found \(d)")
        }
        return d
    }

    static func checkedPositiveFinite(_ d: Double, key: String, url: URL) throws -> Double {
        // Float is what the kernels use: a value that overflows or flushes to zero in Float is
        // as bad as infinity or zero.
        guard d.isFinite, d > 0, Float(d).isFinite, Float(d) > 0 else {
            throw ModelError.invalidConfig(url, "key \"\(key)\" must be a finite number above 0, found \(d)")
        }
        return d
    }

    /// `head_dim` (or `hidden_size / num_attention_heads` when absent) rotated by rotary
    /// embedding in pairs: it must be even, or the second half of each pair lies in the next head.
    func checkedRotaryDims(headDim: Int, partial: Double, key: String) throws -> Int {
        guard partial.isFinite, partial >= 0, partial <= 1 else {
            throw ModelError.invalidConfig(url, "key \"\(key)\" must lie between 0 and 1 (the fraction of each head that is rotated), found \(partial)")
        }
        let dims = Int(Double(headDim) * partial)
        guard dims % 2 == 0 else {
            throw ModelError.invalidConfig(url, "key \"\(key)\" \(partial) rotates \(dims) of each head's \(headDim) dimensions; rotary embedding rotates pairs, so that must be even")
        }
        return dims
    }
}
