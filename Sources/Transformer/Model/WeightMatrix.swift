import Foundation

/// A weight matrix as the inference passes read it, `[out, in]` row-major like `nn.Linear`,
/// in whichever precision its model keeps it (`ParameterStore.matrix(_:)`). The forward passes
/// only ever multiply by it (`linear`) or look rows up in it (`gatherRows`, embeddings), so a
/// new resident kind (e.g. weight-only int8 with per-row scales) is a new case here and in
/// those two methods, not a change to every architecture.
///
/// A handle does not own its storage: it stays valid while the store it came from lives (the
/// model keeps its store, and resolved handles live in the model).
public struct WeightMatrix: @unchecked Sendable {
    // @unchecked: the pointers are into a store's arenas, which are only read by forward passes.

    /// Where the values are and how they are stored.
    enum Storage {
        /// fp32 in `store`'s arena. Products go through `store.linear`, which reads the store's
        /// optional bf16 decoding copy (`enableBF16Decoding`) for decoding-sized products; it is
        /// looked up at each product, so enabling or dropping the copy later is seen at once.
        case fp32(UnsafeMutablePointer<Float>, store: ParameterStore)
        /// bfloat16, resident (no fp32 copy exists).
        case bf16(UnsafePointer<UInt16>)
        /// Weight-only int8, resident: row `j` is `scales[j] · q[j]` (no copy in any other
        /// precision exists).
        case int8(UnsafePointer<Int8>, scales: UnsafePointer<Float>)
    }

    let storage: Storage

    /// `y[m, n] (+)= x[m, k] · Wᵀ`, `W` being this `[n, k]` matrix (or the first `n` rows from
    /// here, for a fused matrix named by its first part). bf16 matrices go through
    /// `Matmul.linearBF16` (AVX512-BF16 where the CPU has it, fp32 products of the widened
    /// weights elsewhere), int8 ones through `Matmul.linearInt8`; `x` and `y` are fp32 in every
    /// case.
    @inline(__always)
    public func linear(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool = false) {
        switch storage {
        case let .fp32(w, store):
            store.linear(x, weight: w, into: y, m: m, n: n, k: k, accumulate: accumulate)
        case let .bf16(w):
            Matmul.linearBF16(x, w, into: y, m: m, n: n, k: k, accumulate: accumulate)
        case let .int8(q, scales):
            Matmul.linearInt8(x, q, scales: scales, into: y, m: m, n: n, k: k, accumulate: accumulate)
        }
    }

    /// `out[i] (+)= scale · W[indices[i]]` for `count` rows of `width` values, widened to fp32
    /// (exact for bf16; an int8 row is dequantized with its scale): token and position
    /// embeddings.
    public func gatherRows(indices: UnsafePointer<Int32>, count: Int, width: Int, into out: UnsafeMutablePointer<Float>,
                           accumulate: Bool = false, scale: Float = 1) {
        switch storage {
        case let .fp32(table, _):
            Embedding.gather(table, indices: indices, count: count, width: width, into: out, accumulate: accumulate, scale: scale)
        case let .bf16(table):
            Embedding.gatherBF16(table, indices: indices, count: count, width: width, into: out, accumulate: accumulate, scale: scale)
        case let .int8(table, rowScales):
            Embedding.gatherInt8(table, rowScales: rowScales, indices: indices, count: count, width: width, into: out,
                                 accumulate: accumulate, scale: scale)
        }
    }

    /// The fp32 values, when the matrix is fp32 (nil for any other resident kind): for code
    /// that must have fp32 weights, such as merging adapters into them.
    public var floats: UnsafeMutablePointer<Float>? {
        if case let .fp32(w, _) = storage { return w }
        return nil
    }

    /// The resident precision of the values.
    public var precision: MatrixPrecision {
        switch storage {
        case .fp32: .fp32
        case .bf16: .bf16
        case .int8: .int8
        }
    }
}
