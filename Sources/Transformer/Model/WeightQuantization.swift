/// A lossy compression of the weight matrices made at load, for inference only (`--quantize`).
/// Where `WeightPrecision` picks a float format the checkpoint's values are kept in (exactly,
/// or rounded once to bf16), a quantization replaces them by coarser values with scales.
///
/// - `int8`: weight-only int8 with one fp32 scale per output row (`MatrixPrecision.int8`) for
///   every projection and the input embeddings (token, and GPT-2's positions). The output head
///   stays bf16 (a tied token table too, since it is the head): on the c2s-trained kang model
///   an int8 head put top-1 next-token agreement with fp32 at 91.1% and the largest logit
///   error at 0.99, a bf16 head at 98.6% and 0.18 (int8 input embeddings cost next to
///   nothing: docs/BENCHMARKS.md). Norm weights and biases stay fp32, and activations between
///   products; a product reads them as they are for one decoding row, quantized to int16 per
///   row for several (AVX512-VNNI), and as `Matmul.linearBF16` does for prefill. So a logit's
///   error is mostly the weights' rounding (each int8 weight within half its row's scale).
public enum WeightQuantization: String, Sendable, CaseIterable {
    case int8

    /// The resident precision of the matrices of a model loaded with this quantization.
    public var matrixPrecision: MatrixPrecision {
        switch self {
        case .int8: .int8
        }
    }
}
