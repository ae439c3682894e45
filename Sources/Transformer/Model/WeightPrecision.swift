/// How a model keeps its weight matrices (projections, embeddings, output head) in memory.
/// Norm weights and biases, which are tiny, are fp32 in every case.
public enum MatrixPrecision: String, Sendable, CaseIterable {
    /// fp32: what training, adapter merging and the exact parity tests need.
    case fp32
    /// bfloat16: half the bytes, no fp32 copy. Products accumulate in fp32
    /// (`Matmul.linearBF16`); activations stay fp32 between products.
    case bf16
    /// Weight-only int8 with one fp32 scale per row (symmetric: scale = max|row| / 127, values
    /// rounded to nearest), made at load from whatever the checkpoint stores: a quarter of the
    /// bytes of fp32, and decoding reads half the bytes of bf16. Activations stay fp32
    /// (`Matmul.linearInt8`). The output head stays bf16 (`ParameterStore`). Chosen with
    /// `WeightQuantization.int8`, never by `WeightPrecision`.
    case int8
}

/// The user's choice of resident precision (`--weights`), resolved against a checkpoint by
/// `resolve(storedMatrixTypes:)`.
///
/// - `auto`: as stored. A checkpoint whose matrices are all BF16 stays bf16; any other
///   (F32, and F16 too) loads as fp32. F16 is not rounded to bf16 by default: bf16 keeps 8
///   mantissa bits where f16 has 11, so rounding would lose precision the checkpoint has,
///   while widening f16 to fp32 is exact.
/// - `fp32`: always fp32 (exactly the engine's historical behaviour).
/// - `bf16`: always bf16; F32 and F16 matrices are rounded to nearest-even bfloat16 once, at
///   load (the user accepts that loss for half the memory).
public enum WeightPrecision: String, Sendable, CaseIterable {
    case auto, fp32, bf16

    /// The precision a model's matrices are kept in, given the stored dtypes of the matrices it
    /// reads (dtypes of tensors it does not read do not matter).
    public func resolve(storedMatrixTypes: some Sequence<SafetensorsDType>) -> MatrixPrecision {
        switch self {
        case .fp32: return .fp32
        case .bf16: return .bf16
        case .auto:
            var sawAny = false
            for dtype in storedMatrixTypes {
                guard dtype == .bf16 else { return .fp32 }
                sawAny = true
            }
            return sawAny ? .bf16 : .fp32
        }
    }
}
