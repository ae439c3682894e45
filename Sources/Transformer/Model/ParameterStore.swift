import Foundation

/// How a checkpoint stores a tensor relative to the layout the engine computes with.
public enum StoredLayout: Sendable, Equatable {
    /// Stored exactly as used.
    case asIs
    /// Stored `[in, out]` (GPT-2's Conv1D); the engine keeps `[out, in]`.
    case transposed
    /// GPT-NeoX's fused query/key/value, rows ordered per head `[q | k | v]`; the engine keeps
    /// `[Q (all heads) | K | V]` so one product feeds the shared attention kernel.
    case perHeadQKV(heads: Int, headDim: Int)
}

/// One parameter an architecture needs.
public struct ParameterSpec: Sendable {
    /// Name in the checkpoint (after the architecture's prefix handling).
    public var name: String
    /// Shape the engine uses.
    public var shape: [Int]
    public var layout: StoredLayout

    public init(_ name: String, _ shape: [Int], layout: StoredLayout = .asIs) {
        self.name = name
        self.shape = shape
        self.layout = layout
    }

    /// Shape as the checkpoint stores it.
    public var storedShape: [Int] {
        layout == .transposed && shape.count == 2 ? [shape[1], shape[0]] : shape
    }

    public var count: Int { shape.reduce(1, *) }
}

/// All parameters of a model in one fp32 arena, in declaration order, so parameters declared
/// one after another (e.g. q, k and v projections) form one fused matrix.
public final class ParameterStore: @unchecked Sendable {
    public let specs: [ParameterSpec]
    public let base: UnsafeMutablePointer<Float>
    public let count: Int
    private let offsets: [String: Int]

    public init(specs: [ParameterSpec]) {
        self.specs = specs
        var offsets: [String: Int] = [:]
        var total = 0
        for spec in specs {
            offsets[spec.name] = total
            total += spec.count
        }
        self.offsets = offsets
        count = total
        base = .allocate(capacity: max(1, total))
        base.initialize(repeating: 0, count: max(1, total))
    }

    deinit { base.deallocate() }

    /// The parameter's storage. Names come from the architecture's own spec list.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let offset = offsets[name] else { preconditionFailure("no parameter \(name)") }
        return base + offset
    }

    public func contains(_ name: String) -> Bool { offsets[name] != nil }

    /// Fills every parameter from `store`, strictly: every missing, unexpected (not matched by
    /// `ignoring`, see `WeightManifest.matches`) or misshaped tensor is reported in one error.
    /// `rename` maps a checkpoint name to the spec's name (e.g. adds GPT-2's `transformer.`).
    public func load(from store: some TensorStore, rename: @escaping @Sendable (String) -> String = { $0 }, ignoring: [String]) throws {
        let renamed = try RenamedTensors(store, rename: rename)
        var manifest = WeightManifest()
        for spec in specs { manifest.expect(spec.name, shape: spec.storedShape) }
        try renamed.validate(manifest, ignoring: ignoring)
        for spec in specs {
            let destination = pointer(spec.name)
            let stored = spec.name
            let source = renamed
            switch spec.layout {
            case .asIs:
                try source.copyFloats(stored, into: destination, count: spec.count)
            case .transposed:
                try source.copyFloatsTransposed(stored, into: destination, count: spec.count)
            case let .perHeadQKV(heads, headDim):
                let tmp = UnsafeMutablePointer<Float>.allocate(capacity: spec.count)
                defer { tmp.deallocate() }
                try source.copyFloats(stored, into: tmp, count: spec.count)
                let inner = spec.count / (3 * heads * headDim)  // columns (1 for a bias)
                for h in 0..<heads {
                    for part in 0..<3 {
                        let from = tmp + ((h * 3 + part) * headDim) * inner
                        let to = destination + ((part * heads + h) * headDim) * inner
                        to.update(from: from, count: headDim * inner)
                    }
                }
            }
        }
    }
}

/// A tensor store seen through a renaming of its tensors (checkpoints that name the same
/// tensors with or without a prefix). Two names that rename to one are an error.
struct RenamedTensors<Base: TensorStore>: TensorStore {
    let base: Base
    private let original: [String: String]
    let tensorNames: [String]

    init(_ base: Base, rename: (String) -> String) throws {
        self.base = base
        var original: [String: String] = [:]
        var names: [String] = []
        for name in base.tensorNames {
            let new = rename(name)
            if let other = original.updateValue(name, forKey: new) {
                throw CheckpointError.mismatchedWeights(source: base.source, report: "tensors \(other) and \(name) are the same parameter (\(new)) named twice")
            }
            names.append(new)
        }
        self.original = original
        tensorNames = names
    }

    var source: String { base.source }

    private func name(_ n: String) throws -> String {
        guard let o = original[n] else { throw CheckpointError.tensorNotFound(path: base.source, tensor: n) }
        return o
    }

    func info(_ name: String) throws -> SafetensorsTensorInfo { try base.info(self.name(name)) }

    func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        try base.copyFloats(self.name(name), into: destination, count: count)
    }

    func copyFloatsTransposed(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        try base.copyFloatsTransposed(self.name(name), into: destination, count: count)
    }
}
