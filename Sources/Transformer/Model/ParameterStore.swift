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

/// All parameters of a model, in declaration order, so parameters declared one after another
/// (e.g. q, k and v projections) form one fused matrix.
///
/// With fp32 matrices (`matrixPrecision == .fp32`, what training needs) every parameter lies in
/// one fp32 arena, `base`, and gradients and optimizer moments are buffers laid out like it
/// (`pointer(_:in:)`). With bf16 matrices the 2-D parameters lie in a bfloat16 arena instead,
/// again in declaration order so fusion still holds, and `base` holds the rest (norm weights,
/// biases); such a store is for inference only and is read through `matrix(_:)`.
public final class ParameterStore: @unchecked Sendable {
    public let specs: [ParameterSpec]
    /// How the 2-D parameters are kept.
    public let matrixPrecision: MatrixPrecision
    /// The fp32 arena: every parameter with fp32 matrices; the parameters that are not
    /// matrices otherwise.
    public let base: UnsafeMutablePointer<Float>
    /// The elements of all parameters together (the model's parameter count).
    public let count: Int
    /// Floats in `base` (`count` with fp32 matrices).
    public let floatCount: Int
    /// The bfloat16 arena of the matrices (bf16 precision only).
    private let halves: UnsafeMutablePointer<UInt16>?
    private let places: [String: Place]

    /// Where a parameter lies: an offset into `base` or into the bf16 arena.
    private enum Place {
        case float(Int)
        case bfloat16(Int)
    }

    /// A store for `specs` keeping its matrices in `matrices` precision.
    public init(specs: [ParameterSpec], matrices: MatrixPrecision = .fp32) {
        self.specs = specs
        matrixPrecision = matrices
        var places: [String: Place] = [:]
        var floats = 0, halfCount = 0
        for spec in specs {
            if matrices == .bf16 && spec.shape.count == 2 {
                places[spec.name] = .bfloat16(halfCount)
                halfCount += spec.count
            } else {
                places[spec.name] = .float(floats)
                floats += spec.count
            }
        }
        self.places = places
        count = floats + halfCount
        floatCount = floats
        // Not zeroed: `load` writes every parameter (or throws and the store is dropped), and
        // zeroing 650 MB first would cost a second pass over memory.
        base = .allocate(capacity: max(1, floats))
        halves = matrices == .bf16 ? .allocate(capacity: max(1, halfCount)) : nil
    }

    /// bfloat16 copies of every parameter of an fp32 store, same layout, when bf16 decoding is on.
    public private(set) var bf16: UnsafeMutablePointer<UInt16>?

    deinit {
        base.deallocate()
        halves?.deallocate()
        bf16?.deallocate()
    }

    /// Whether this CPU can run the bf16 decoding path (AVX512_BF16).
    public static var bf16DecodingAvailable: Bool { c2s_has_bf16_dot() != 0 }

    /// Keeps a bfloat16 copy of an fp32 store's weights (half the bytes; +50% memory in all)
    /// that products with few rows, i.e. decoding steps, read instead of the fp32 weights.
    /// Activations are rounded to bfloat16 for those products and accumulate in fp32. Prefill
    /// stays fp32. Returns false (and changes nothing) when the CPU lacks AVX512_BF16. A store
    /// whose matrices are bf16 already decodes in bf16: it returns true and copies nothing.
    @discardableResult
    public func enableBF16Decoding() -> Bool {
        if matrixPrecision == .bf16 { return true }
        guard Self.bf16DecodingAvailable else { return false }
        if bf16 != nil { return true }
        let copy = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, floatCount))
        let chunk = 1 << 20
        let total = floatCount, source = base
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

    /// `y[m, n] (+)= x[m, k] · W[n, k]ᵀ` with parameter `name` as W, in its resident precision
    /// (see `WeightMatrix.linear`).
    @inline(__always)
    public func linear(_ x: UnsafePointer<Float>, _ name: String, into y: UnsafeMutablePointer<Float>,
                       m: Int, n: Int, k: Int, accumulate: Bool = false) {
        matrix(name).linear(x, into: y, m: m, n: n, k: k, accumulate: accumulate)
    }

    /// The same product with an fp32 W given by its place in this arena (a pointer from
    /// `pointer(_:)`): the bf16 decoding copy for decoding-sized products when enabled, fp32
    /// otherwise.
    @inline(__always)
    public func linear(_ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                       m: Int, n: Int, k: Int, accumulate: Bool = false) {
        let offset = w - UnsafePointer(base)
        precondition(offset >= 0 && offset < floatCount, "the weight is not in this parameter arena")
        if let bf16, m <= Matmul.fewRows, m > 0 {
            let wb = UnsafePointer(bf16 + offset)
            KernelThreads.forRanges(n, grain: 64) { range in
                c2s_linear_few_rows_bf16(x, wb, y, m, k, n, range.lowerBound, range.upperBound, accumulate ? 1 : 0)
            }
            return
        }
        Matmul.linear(x, w, into: y, m: m, n: n, k: k, accumulate: accumulate)
    }

    /// Parameter `name` as a matrix in its resident precision (a fused matrix when named by its
    /// first part). Every forward pass reads its weight matrices through this.
    public func matrix(_ name: String) -> WeightMatrix {
        switch place(name) {
        case let .float(offset): WeightMatrix(storage: .fp32(base + offset, store: self))
        case let .bfloat16(offset): WeightMatrix(storage: .bf16(UnsafePointer(halves! + offset)))
        }
    }

    /// The fp32 storage of parameter `name`: any parameter of an fp32 store, the parameters
    /// that are not matrices of a bf16 one. Names come from the architecture's own spec list.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        guard case let .float(offset) = place(name) else {
            preconditionFailure("parameter \(name) is kept in \(matrixPrecision.rawValue): read it through matrix(_:)")
        }
        return base + offset
    }

    public func contains(_ name: String) -> Bool { places[name] != nil }

    /// Where the parameter sits in another buffer laid out like this arena (its gradient, an
    /// optimizer moment). Only fp32 stores (the ones training uses) have such buffers.
    public func pointer(_ name: String, in buffer: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        precondition(matrixPrecision == .fp32, "gradients and optimizer state are laid out like an fp32 parameter store; this one keeps its matrices in \(matrixPrecision.rawValue)")
        return buffer + (pointer(name) - base)
    }

    private func place(_ name: String) -> Place {
        guard let place = places[name] else { preconditionFailure("no parameter \(name)") }
        return place
    }

    /// The first parameter holding a NaN or an infinity, and the element's index (nil when all
    /// are finite): such weights give NaN logits, which no output should carry silently.
    public func firstNonFinite() -> (name: String, index: Int)? {
        for spec in specs {
            let index: Int?
            switch place(spec.name) {
            case let .float(offset): index = Self.firstNonFinite(base + offset, count: spec.count)
            case let .bfloat16(offset): index = Self.firstNonFinite(halves! + offset, count: spec.count)
            }
            if let index { return (spec.name, index) }
        }
        return nil
    }

    private static func firstNonFinite(_ p: UnsafePointer<Float>, count n: Int) -> Int? {
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
        if !(probe.sum() + tail).isNaN { return nil }
        return (0..<n).first { !p[$0].isFinite }
    }

    /// bfloat16 NaN and infinity have every exponent bit set, and only they carry into bit 15
    /// when 0x0080 is added to the exponent bits (0x7F80 + 0x80 = 0x8000; any smaller exponent
    /// stays below): OR that over all values in one branch-free pass, search only on failure.
    /// A plain loop, which the compiler vectorises: the same with `SIMD32<UInt16>` was not
    /// vectorised and took 11 s instead of 0.04 s on a model of 0.53 G values.
    private static func firstNonFinite(_ p: UnsafePointer<UInt16>, count n: Int) -> Int? {
        var carry: UInt16 = 0
        for v in UnsafeBufferPointer(start: p, count: n) { carry |= (v & 0x7F80) &+ 0x0080 }
        guard carry & 0x8000 != 0 else { return nil }
        return (0..<n).first { p[$0] & 0x7F80 == 0x7F80 }
    }

    /// Fills every parameter from `store`, strictly: every missing, unexpected (not matched by
    /// `ignoring`, see `WeightManifest.matches`) or misshaped tensor is reported in one error.
    /// `rename` maps a checkpoint name to the spec's name (e.g. adds GPT-2's `transformer.`).
    /// `destination`, when given, is another buffer of `count` floats laid out like this arena
    /// (gradients, optimizer moments; fp32 stores only) that receives the tensors instead of
    /// the parameters. Matrices of a bf16 store are copied as stored when the checkpoint holds
    /// BF16, and rounded to nearest-even bfloat16 otherwise.
    public func load(from store: some TensorStore, rename: @escaping @Sendable (String) -> String = { $0 }, ignoring: [String],
                     into destination: UnsafeMutablePointer<Float>? = nil) throws {
        precondition(destination == nil || matrixPrecision == .fp32, "only an fp32 store has buffers laid out like it")
        let arena = destination ?? base
        let renamed = try RenamedTensors(store, rename: rename)
        var manifest = WeightManifest()
        for spec in specs { manifest.expect(spec.name, shape: spec.storedShape) }
        try renamed.validate(manifest, ignoring: ignoring)
        for spec in specs {
            switch place(spec.name) {
            case let .float(offset):
                try Self.load(spec, from: renamed, into: arena + offset)
            case let .bfloat16(offset):
                try Self.load(spec, from: renamed, into: halves! + offset)
            }
        }
    }

    /// Copies one fp32 parameter into its place, in the engine's layout.
    private static func load(_ spec: ParameterSpec, from source: some TensorStore, into destination: UnsafeMutablePointer<Float>) throws {
        switch spec.layout {
        case .asIs:
            try source.copyFloats(spec.name, into: destination, count: spec.count)
        case .transposed:
            try source.copyFloatsTransposed(spec.name, into: destination, count: spec.count)
        case let .perHeadQKV(heads, headDim):
            let tmp = UnsafeMutablePointer<Float>.allocate(capacity: spec.count)
            defer { tmp.deallocate() }
            try source.copyFloats(spec.name, into: tmp, count: spec.count)
            regroupQKV(tmp, into: destination, count: spec.count, heads: heads, headDim: headDim)
        }
    }

    /// Copies one bf16 matrix into its place, in the engine's layout. Only one tensor's worth
    /// of scratch at a time: a transposed (GPT-2 Conv1D) matrix goes through fp32, which is
    /// exact for a BF16 source (widening and rounding back give the same bits).
    private static func load(_ spec: ParameterSpec, from source: some TensorStore, into destination: UnsafeMutablePointer<UInt16>) throws {
        switch spec.layout {
        case .asIs:
            try source.copyBFloat16(spec.name, into: destination, count: spec.count)
        case .transposed:
            let tmp = UnsafeMutablePointer<Float>.allocate(capacity: spec.count)
            defer { tmp.deallocate() }
            try source.copyFloatsTransposed(spec.name, into: tmp, count: spec.count)
            FloatConversion.floatToBFloat16(tmp, UnsafeMutableRawPointer(destination), count: spec.count)
        case let .perHeadQKV(heads, headDim):
            let tmp = UnsafeMutablePointer<UInt16>.allocate(capacity: spec.count)
            defer { tmp.deallocate() }
            try source.copyBFloat16(spec.name, into: tmp, count: spec.count)
            regroupQKV(tmp, into: destination, count: spec.count, heads: heads, headDim: headDim)
        }
    }

    /// GPT-NeoX's per-head `[q | k | v]` rows to the engine's `[Q (all heads) | K | V]`.
    private static func regroupQKV<T>(_ from: UnsafePointer<T>, into to: UnsafeMutablePointer<T>, count: Int, heads: Int, headDim: Int) {
        let inner = count / (3 * heads * headDim)  // columns (1 for a bias)
        for h in 0..<heads {
            for part in 0..<3 {
                (to + ((part * heads + h) * headDim) * inner)
                    .update(from: from + ((h * 3 + part) * headDim) * inner, count: headDim * inner)
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

    func copyBFloat16(_ name: String, into destination: UnsafeMutablePointer<UInt16>, count: Int) throws {
        try base.copyBFloat16(self.name(name), into: destination, count: count)
    }
}
