import CKernels
import Foundation

/// Activation functions, named as Hugging Face configs name them.
public enum Activation: String, Sendable, CaseIterable {
    /// Exact GELU, `0.5·x·(1 + erf(x/√2))` (GPT-NeoX's "gelu").
    case gelu
    /// Tanh-approximated GELU (GPT-2's "gelu_new", Gemma's "gelu_pytorch_tanh").
    case geluTanh
    /// `x·sigmoid(x)` (Llama's "silu").
    case silu
    case relu

    /// The activation a config string names, or nil when unsupported.
    public init?(configName: String) {
        switch configName {
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_tanh": self = .geluTanh
        case "silu", "swish": self = .silu
        case "relu": self = .relu
        default: return nil
        }
    }

    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .gelu: return 0.5 * x * (1 + erff(x * 0.70710678118654752))
        case .geluTanh:
            let inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + tanhf(inner))
        case .silu: return x / (1 + expf(-x))
        case .relu: return max(0, x)
        }
    }

    /// Sixteen lanes at once, with the vectorised exp/tanh/erf.
    @inline(__always)
    func apply(_ x: FastMath.V) -> FastMath.V {
        switch self {
        case .gelu: return 0.5 * x * (1 + FastMath.erf(x * 0.70710678118654752))
        case .geluTanh: return 0.5 * x * (1 + FastMath.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
        case .silu: return x / (1 + FastMath.exp(-x))
        case .relu: return x.replacing(with: 0, where: x .< 0)
        }
    }

    /// The activation's number in the C kernels (`c2s_activation_apply`), which run it at
    /// AVX-512 width where the CPU has it: Swift's `SIMD16` loops below are compiled for
    /// baseline x86-64, four lanes at a time.
    var kernelKind: Int32 {
        switch self {
        case .gelu: 0
        case .geluTanh: 1
        case .silu: 2
        case .relu: 3
        }
    }

    /// Applies the activation in place to `count` values.
    public func apply(_ y: UnsafeMutablePointer<Float>, count: Int) {
        KernelThreads.forRanges(count, grain: 1 << 14) { range in
            if c2s_activation_apply(kernelKind, y + range.lowerBound, y + range.lowerBound, range.count) == 0 { return }
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let v = UnsafeRawPointer(y + i).loadUnaligned(as: FastMath.V.self)
                UnsafeMutableRawPointer(y + i).storeBytes(of: apply(v), as: FastMath.V.self)
                i += 16
            }
            while i < range.upperBound { y[i] = apply(y[i]); i += 1 }
        }
    }

    /// Gated units (GeGLU, SwiGLU): `out[r, i] = act(gateUp[r, i]) · gateUp[r, width + i]`,
    /// where each row of `gateUp` holds the gate projection then the up projection.
    public func applyGated(_ gateUp: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        KernelThreads.forRanges(rows, grain: 4) { range in
            if c2s_activation_gated(kernelKind, gateUp + range.lowerBound * 2 * width, out + range.lowerBound * width,
                                    range.count, width) == 0 { return }
            for r in range {
                let g = gateUp + r * 2 * width, o = out + r * width
                var i = 0
                while i + 16 <= width {
                    let gate = UnsafeRawPointer(g + i).loadUnaligned(as: FastMath.V.self)
                    let up = UnsafeRawPointer(g + width + i).loadUnaligned(as: FastMath.V.self)
                    UnsafeMutableRawPointer(o + i).storeBytes(of: apply(gate) * up, as: FastMath.V.self)
                    i += 16
                }
                while i < width { o[i] = apply(g[i]) * g[width + i]; i += 1 }
            }
        }
    }
}
