/// A lossy compression of the weight matrices made at load, for inference only (`--quantize`).
/// Where `WeightPrecision` picks a float format the checkpoint's values are kept in (exactly,
/// or rounded once to bf16), a quantization replaces them by coarser values with scales.
///
/// - `int8`: weight-only int8 with one fp32 scale per output row (`MatrixPrecision.int8`).
///   Every 2-D parameter is quantized: the projections, the token (and position) embeddings
///   and the output head, tied or not. Norm weights and biases stay fp32. Activations stay
///   fp32, so a logit's error comes from the weights' rounding alone (each weight within half
///   its row's scale).
public enum WeightQuantization: String, Sendable, CaseIterable {
    case int8

    /// The resident precision of the matrices of a model loaded with this quantization.
    public var matrixPrecision: MatrixPrecision {
        switch self {
        case .int8: .int8
        }
    }
}
