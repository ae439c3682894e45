import Mechanics
/// The tensors an architecture needs, with their shapes, for strict loading.
///
/// An architecture builds a manifest of every tensor it will read, then validates a checkpoint
/// against it before copying anything. Validation reports, in one error, every missing tensor,
/// every unexpected tensor and every misshaped one, so a user who points the tool at the wrong
/// model (or a model of another size) sees the whole picture at once instead of fixing one name
/// per run. Loading silently with missing or extra weights would produce a model that runs and
/// talks nonsense.
public struct WeightManifest: Sendable {
    /// Buffers that PyTorch modules save or used to save but that are not weights: GPT-2's causal
    /// mask (`attn.bias`, `attn.masked_bias`) and rotary frequency tables (`rotary_emb.inv_freq`).
    public static let knownBuffers = ["attn.bias", "attn.masked_bias", "rotary_emb.inv_freq", "masked_bias"]

    /// Expected shapes, by tensor name.
    public private(set) var shapes: [String: [Int]] = [:]
    /// Expected names in the order they were declared.
    public private(set) var names: [String] = []

    public init() {}

    /// Declares that the checkpoint must hold `name` with exactly `shape`. Declaring a name twice
    /// with different shapes is a programming error in the architecture.
    public mutating func expect(_ name: String, shape: [Int]) {
        if let existing = shapes[name] {
            precondition(existing == shape, "\(name) expected twice, with shapes \(existing) and \(shape)")
            return
        }
        shapes[name] = shape
        names.append(name)
    }

    /// Whether `name` matches one of `patterns`. A pattern matches whole dot-separated
    /// components at the end of the name: `attn.bias` matches `h.0.attn.bias` but not
    /// `h.0.attn.c_attn.bias`, which is a real weight. A leading dot in a pattern is ignored.
    public static func matches(_ name: String, anyOf patterns: [String]) -> Bool {
        for raw in patterns {
            let pattern = raw.hasPrefix(".") ? String(raw.dropFirst()) : raw
            if pattern.isEmpty { continue }
            if name == pattern || name.hasSuffix("." + pattern) { return true }
        }
        return false
    }

    /// The differences between this manifest and the tensors of `store`; empty when they agree.
    /// Unexpected tensors whose names match `ignoring` (see `matches`) are not reported.
    public func differences(from store: some TensorStore, ignoring: [String] = WeightManifest.knownBuffers) -> WeightDifferences {
        var found: [String: [Int]] = [:]
        for name in store.tensorNames { found[name] = try? store.info(name).shape }
        var result = WeightDifferences()
        for name in names {
            guard let shape = found[name] else { result.missing.append(name); continue }
            if shape != shapes[name] { result.misshaped.append((name, shapes[name]!, shape)) }
        }
        for name in found.keys where shapes[name] == nil && !Self.matches(name, anyOf: ignoring) {
            result.unexpected.append(name)
        }
        result.unexpected.sort(by: JSONText.codePointOrder)
        return result
    }
}

/// How a checkpoint differs from a `WeightManifest`.
public struct WeightDifferences: Sendable {
    /// Expected tensors the checkpoint lacks, in manifest order.
    public var missing: [String] = []
    /// Tensors the checkpoint holds that nobody expects, sorted.
    public var unexpected: [String] = []
    /// Tensors present with another shape, in manifest order.
    public var misshaped: [(name: String, expected: [Int], found: [Int])] = []

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty }

    /// One line per problem, grouped, as shown to the user.
    public var report: String {
        var lines: [String] = []
        if !missing.isEmpty {
            lines.append("\(missing.count) missing tensor\(missing.count == 1 ? "" : "s"):")
            lines += missing.map { "  \($0)" }
        }
        if !unexpected.isEmpty {
            lines.append("\(unexpected.count) unexpected tensor\(unexpected.count == 1 ? "" : "s"):")
            lines += unexpected.map { "  \($0)" }
        }
        if !misshaped.isEmpty {
            lines.append("\(misshaped.count) tensor\(misshaped.count == 1 ? "" : "s") with the wrong shape:")
            lines += misshaped.map { "  \($0.name): expected \($0.expected), found \($0.found)" }
        }
        if !missing.isEmpty && !unexpected.isEmpty {
            lines.append("(when names differ only by a prefix such as \"transformer.\" or \"model.\", the checkpoint belongs to another architecture or was saved from a wrapper model)")
        }
        return lines.joined(separator: "\n")
    }
}

extension TensorStore {
    /// Checks that this store holds exactly the tensors of `manifest` with their shapes,
    /// tolerating unexpected tensors that match `ignoring`; throws
    /// `CheckpointError.mismatchedWeights` listing every difference otherwise.
    public func validate(_ manifest: WeightManifest, ignoring: [String] = WeightManifest.knownBuffers) throws {
        let differences = manifest.differences(from: self, ignoring: ignoring)
        guard differences.isEmpty else {
            throw CheckpointError.mismatchedWeights(source: source, report: differences.report)
        }
    }
}
