import CKernels
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
        // Not zeroed: `load` writes every parameter (or throws and the store is dropped), and
        // zeroing 650 MB first would cost a second pass over memory.
        base = .allocate(capacity: max(1, total))
    }

    /// bfloat16 copies of every parameter, same layout, when bf16 decoding is on.
    public private(set) var bf16: UnsafeMutablePointer<UInt16>?

    deinit {
        base.deallocate()
        bf16?.deallocate()
    }

    /// Whether this CPU can run the bf16 decoding path (AVX512_BF16).
    public static var bf16DecodingAvailable: Bool { c2s_has_bf16_dot() != 0 }

    /// Keeps a bfloat16 copy of the weights (half the bytes; +50% memory in all) that products
    /// with few rows, i.e. decoding steps, read instead of the fp32 weights. Activations are
    /// rounded to bfloat16 for those products and accumulate in fp32. Prefill stays fp32.
    /// Returns false (and changes nothing) when the CPU lacks AVX512_BF16.
    @discardableResult
    public func enableBF16Decoding() -> Bool {
        guard Self.bf16DecodingAvailable else { return false }
        if bf16 != nil { return true }
        let copy = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, count))
        let chunk = 1 << 20
        let total = count, source = base
        KernelThreads.forRanges((total + chunk - 1) / chunk) { range in
            for c in range {
                let lo = c * chunk, hi = min(total, lo + chunk)
                FloatConversion.floatToBFloat16(source + lo, UnsafeMutableRawPointer(copy + lo), count: hi - lo)
            }
        }
        bf16 = copy
        return true
    }

    /// Drops the bfloat16 copy (after the fp32 weights changed, e.g. a LoRA merge).
    public func disableBF16Decoding() {
        bf16?.deallocate()
        bf16 = nil
    }

    /// `y[m, n] (+)= x[m, k] · W[n, k]ᵀ` with parameter `name` as W: the bf16 copy for
    /// decoding-sized products when enabled, fp32 otherwise.
    @inline(__always)
    public func linear(_ x: UnsafePointer<Float>, _ name: String, into y: UnsafeMutablePointer<Float>,
                       m: Int, n: Int, k: Int, accumulate: Bool = false) {
        linear(x, weight: pointer(name), into: y, m: m, n: n, k: k, accumulate: accumulate)
    }

    /// The same product with W given by its place in this arena (a pointer from `pointer(_:)`),
    /// so a pass that resolved its parameters once need not look names up per product.
    @inline(__always)
    public func linear(_ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                       m: Int, n: Int, k: Int, accumulate: Bool = false) {
        let offset = w - UnsafePointer(base)
        precondition(offset >= 0 && offset < count, "the weight is not in this parameter arena")
        if let bf16, m <= Matmul.fewRows, m > 0 {
            let wb = UnsafePointer(bf16 + offset)
            KernelThreads.forRanges(n, grain: 64) { range in
                c2s_linear_few_rows_bf16(x, wb, y, m, k, n, range.lowerBound, range.upperBound, accumulate ? 1 : 0)
            }
            return
        }
        Matmul.linear(x, w, into: y, m: m, n: n, k: k, accumulate: accumulate)
    }

    /// The parameter's storage. Names come from the architecture's own spec list.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let offset = offsets[name] else { preconditionFailure("no parameter \(name)") }
        return base + offset
    }

    public func contains(_ name: String) -> Bool { offsets[name] != nil }

    /// Where the parameter sits in another buffer laid out like this arena (its gradient, an
    /// optimizer moment).
    public func pointer(_ name: String, in buffer: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        buffer + (pointer(name) - base)
    }

    /// The first parameter holding a NaN or an infinity, and the element's index (nil when all
    /// are finite): such weights give NaN logits, which no output should carry silently.
    public func firstNonFinite() -> (name: String, index: Int)? {
        for spec in specs {
            let p = pointer(spec.name), n = spec.count
            // Any NaN or infinity makes x - x NaN, and a NaN lane stays NaN: one branch-free
            // SIMD pass (this runs at every model load), then a scalar search only on failure.
            var probe = SIMD16<Float>(repeating: 0)
            var i = 0
            while i + 16 <= n {
                let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
                probe += v - v
                i += 16
            }
            var tail: Float = 0
            while i < n { tail += p[i] - p[i]; i += 1 }
            if !(probe.sum() + tail).isNaN { continue }
            for k in 0..<n where !p[k].isFinite { return (spec.name, k) }
        }
        return nil
    }

    /// Fills every parameter from `store`, strictly: every missing, unexpected (not matched by
    /// `ignoring`, see `WeightManifest.matches`) or misshaped tensor is reported in one error.
    /// `rename` maps a checkpoint name to the spec's name (e.g. adds GPT-2's `transformer.`).
    /// `destination`, when given, is another buffer of `count` floats laid out like this arena
    /// (gradients, optimizer moments) that receives the tensors instead of the parameters.
    public func load(from store: some TensorStore, rename: @escaping @Sendable (String) -> String = { $0 }, ignoring: [String],
                     into destination: UnsafeMutablePointer<Float>? = nil) throws {
        let arena = destination ?? base
        let renamed = try RenamedTensors(store, rename: rename)
        var manifest = WeightManifest()
        for spec in specs { manifest.expect(spec.name, shape: spec.storedShape) }
        try renamed.validate(manifest, ignoring: ignoring)
        for spec in specs {
            let destination = arena + (pointer(spec.name) - base)
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
