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
/// biases); such a store is for inference only and is read through `matrix(_:)`. With int8
/// matrices (weight-only quantization, `WeightQuantization`) the 2-D parameters lie in an int8
/// arena with a parallel arena of one fp32 scale per row, both in declaration order (a fused
/// matrix's rows and scales follow on), and are quantized tensor by tensor as they load;
/// except the output head (`outputHead`, the token table when tied), kept in the bf16 arena:
/// its rounding reaches the logits directly, and int8 there cost most of int8's accuracy on
/// the c2s kang model (docs/BENCHMARKS.md) for little memory.
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
    /// The int8 arena of the matrices and their row scales (int8 precision only).
    private let bytes: UnsafeMutablePointer<Int8>?
    private let rowScales: UnsafeMutablePointer<Float>?
    private let places: [String: Place]
    /// The first non-finite element met while quantizing (int8 precision): quantizing would
    /// hide it, so it is noted as the tensor goes by and `firstNonFinite` reports it.
    private var nonFiniteBeforeQuantizing: (name: String, index: Int)?

    /// Where a parameter lies: an offset into `base`, into the bf16 arena, or into the int8
    /// arena with the offset of its first row's scale.
    private enum Place {
        case float(Int)
        case bfloat16(Int)
        case int8(Int, scales: Int)
    }

    /// A store for `specs` keeping its matrices in `matrices` precision; with int8, the matrix
    /// named `outputHead` in bf16.
    public init(specs: [ParameterSpec], matrices: MatrixPrecision = .fp32, outputHead: String? = nil) {
        self.specs = specs
        matrixPrecision = matrices
        var places: [String: Place] = [:]
        var floats = 0, halfCount = 0, byteCount = 0, scaleCount = 0
        for spec in specs {
            if spec.shape.count == 2 && (matrices == .bf16 || matrices == .int8 && spec.name == outputHead) {
                places[spec.name] = .bfloat16(halfCount)
                halfCount += spec.count
            } else if matrices == .int8 && spec.shape.count == 2 {
                places[spec.name] = .int8(byteCount, scales: scaleCount)
                byteCount += spec.count
                scaleCount += spec.shape[0]
            } else {
                places[spec.name] = .float(floats)
                floats += spec.count
            }
        }
        self.places = places
        count = floats + halfCount + byteCount
        floatCount = floats
        // Not zeroed: `load` writes every parameter (or throws and the store is dropped), and
        // zeroing 650 MB first would cost a second pass over memory.
        base = .allocate(capacity: max(1, floats))
        halves = halfCount > 0 || matrices == .bf16 ? .allocate(capacity: max(1, halfCount)) : nil
        bytes = matrices == .int8 ? .allocate(capacity: max(1, byteCount)) : nil
        rowScales = matrices == .int8 ? .allocate(capacity: max(1, scaleCount)) : nil
    }

    /// bfloat16 copies of every parameter of an fp32 store, same layout, when bf16 decoding is on.
    public private(set) var bf16: UnsafeMutablePointer<UInt16>?

    deinit {
        base.deallocate()
        halves?.deallocate()
        bytes?.deallocate()
        rowScales?.deallocate()
        bf16?.deallocate()
    }

    /// Whether this CPU can run the bf16 decoding path (AVX512_BF16).
    public static var bf16DecodingAvailable: Bool { c2s_has_bf16_dot() != 0 }

    /// Keeps a bfloat16 copy of an fp32 store's weights (half the bytes; +50% memory in all)
    /// that products with few rows, i.e. decoding steps, read instead of the fp32 weights.
    /// Activations are rounded to bfloat16 for those products and accumulate in fp32. Prefill
    /// stays fp32. Returns false (and changes nothing) when the CPU lacks AVX512_BF16. A store
    /// whose matrices are bf16 already decodes in bf16: it returns true and copies nothing. An
    /// int8 store has no fp32 weights to copy and decodes from its int8 ones: false.
    @discardableResult
    public func enableBF16Decoding() -> Bool {
        if matrixPrecision == .bf16 { return true }
        if matrixPrecision == .int8 { return false }
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
        case let .int8(offset, scales): WeightMatrix(storage: .int8(UnsafePointer(bytes! + offset), scales: UnsafePointer(rowScales! + scales)))
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
            case .int8: index = nonFiniteBeforeQuantizing?.name == spec.name ? nonFiniteBeforeQuantizing?.index : nil
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
    /// BF16, and rounded to nearest-even bfloat16 otherwise. Matrices of an int8 store are read
    /// one at a time into fp32 scratch of the largest matrix's size and quantized from there,
    /// so the load's peak is the int8 arenas plus one matrix in fp32.
    public func load(from store: some TensorStore, rename: @escaping @Sendable (String) -> String = { $0 }, ignoring: [String],
                     into destination: UnsafeMutablePointer<Float>? = nil) throws {
        precondition(destination == nil || matrixPrecision == .fp32, "only an fp32 store has buffers laid out like it")
        let arena = destination ?? base
        let renamed = try Self.checkTensors(specs, in: store, rename: rename, ignoring: ignoring)
        let quantized = specs.filter { if case .int8 = place($0.name) { true } else { false } }
        let scratchCount = quantized.map(\.count).max() ?? 0
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratchCount))
        defer { scratch.deallocate() }
        nonFiniteBeforeQuantizing = nil
        for spec in specs {
            switch place(spec.name) {
            case let .float(offset):
                try Self.load(spec, from: renamed, into: arena + offset)
            case let .bfloat16(offset):
                try Self.load(spec, from: renamed, into: halves! + offset)
            case let .int8(offset, scales):
                try Self.load(spec, from: renamed, into: scratch)
                let (q, rowScale, rows) = (bytes! + offset, rowScales! + scales, spec.shape[0])
                if let index = Self.firstNonFinite(scratch, count: spec.count) {
                    // Kept as the fp32 model would behave (NaN outputs), and reported.
                    if nonFiniteBeforeQuantizing == nil { nonFiniteBeforeQuantizing = (spec.name, index) }
                    q.update(repeating: 0, count: spec.count)
                    rowScale.update(repeating: .nan, count: rows)
                } else {
                    Self.quantize(scratch, rows: rows, columns: spec.shape[1], into: q, scales: rowScale)
                }
            }
        }
    }

    /// Checks that `store` holds exactly the tensors `specs` describe, with their shapes (every
    /// difference named in one error), without allocating anything; returns the store seen
    /// through `rename`.
    @discardableResult
    public static func checkTensors<Store: TensorStore>(_ specs: [ParameterSpec], in store: Store, rename: @escaping @Sendable (String) -> String = { $0 },
                                                        ignoring: [String]) throws -> some TensorStore {
        let renamed = try RenamedTensors(store, rename: rename)
        var manifest = WeightManifest()
        for spec in specs { manifest.expect(spec.name, shape: spec.storedShape) }
        try renamed.validate(manifest, ignoring: ignoring)
        return renamed
    }

    /// Quantizes a `[rows, columns]` fp32 matrix to int8 rows with one scale each
    /// (`c2s_quantize_rows_i8`), rows split across the kernel threads.
    static func quantize(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into q: UnsafeMutablePointer<Int8>,
                         scales: UnsafeMutablePointer<Float>) {
        KernelThreads.forRanges(rows, grain: max(1, (1 << 16) / max(1, columns))) { range in
            let lo = range.lowerBound
            c2s_quantize_rows_i8(source + lo * columns, q + lo * columns, scales + lo, range.count, columns)
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
