import Foundation

/// A weight matrix `W` `[n, k]` (`nn.Linear` layout) as the training pass multiplies by it:
/// forward `y = x · Wᵀ` and the input gradient `dx = dy · W`. fp32 pointers (full training,
/// and LoRA over an fp32 base) and resident `WeightMatrix` handles (LoRA over a frozen bf16
/// base, which has no fp32 copy) both conform, so the pass is written once for both.
protocol TrainingMatrix {
    /// `y[m, n] (+)= x[m, k] · Wᵀ`.
    func trainingProduct(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool)
    /// `dx[m, k] (+)= dy[m, n] · W`.
    func inputGradient(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool)
    /// The fp32 values a weight gradient is computed against; nil for a matrix that cannot be
    /// trained (bf16).
    var trainableValues: UnsafeMutablePointer<Float>? { get }
}

extension UnsafeMutablePointer: TrainingMatrix where Pointee == Float {
    @inline(__always)
    func trainingProduct(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        Matmul.linear(x, self, into: y, m: m, n: n, k: k, accumulate: accumulate)
    }

    @inline(__always)
    func inputGradient(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        Matmul.gemm(transA: false, transB: false, m: m, n: k, k: n, dy, lda: n, self, ldb: k, beta: accumulate ? 1 : 0, dx, ldc: k)
    }

    var trainableValues: UnsafeMutablePointer<Float>? { self }
}

extension WeightMatrix: TrainingMatrix {
    /// fp32 goes straight to BLAS (not through the store's optional bf16 decoding copy, which
    /// is for inference), bf16 through the AVX512-BF16 GEMMs.
    func trainingProduct(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        switch storage {
        case let .fp32(w, _): w.trainingProduct(x, into: y, m: m, n: n, k: k, accumulate: accumulate)
        case let .bf16(w): Matmul.linearBF16(x, w, into: y, m: m, n: n, k: k, accumulate: accumulate)
        case .int8: preconditionFailure("int8 weights cannot be trained through (TrainingChecks refuses them)")
        }
    }

    func inputGradient(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        switch storage {
        case let .fp32(w, _): w.inputGradient(dy, into: dx, m: m, n: n, k: k, accumulate: accumulate)
        case let .bf16(w): Matmul.linearBackwardInputBF16(dy, w, into: dx, m: m, n: n, k: k, accumulate: accumulate)
        case .int8: preconditionFailure("int8 weights cannot be trained through (TrainingChecks refuses them)")
        }
    }

    var trainableValues: UnsafeMutablePointer<Float>? { floats }
}
