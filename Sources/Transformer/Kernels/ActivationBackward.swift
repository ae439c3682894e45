import CKernels
import Foundation

/// Training side of `Activation`: the activation out of place (the backward pass recomputes
/// it from the saved pre-activation instead of keeping a second `[tokens, intermediate]`
/// buffer per layer) and multiplication by its derivative.
extension Activation {
    /// d act(x) / dx, as PyTorch's backward formulas compute it.
    @inline(__always)
    func derivative(_ x: Float) -> Float {
        switch self {
        case .gelu:
            // Φ(x) + x·φ(x)
            return 0.5 * (1 + erff(x * 0.70710678118654752)) + x * 0.3989422804014327 * expf(-0.5 * x * x)
        case .geluTanh:
            let t = tanhf(0.7978845608028654 * (x + 0.044715 * x * x * x))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.7978845608028654 * (1 + 3 * 0.044715 * x * x)
        case .silu:
            let s = 1 / (1 + expf(-x))
            return s * (1 + x * (1 - s))
        case .relu: return x > 0 ? 1 : 0
        }
    }

    @inline(__always)
    func derivative(_ x: FastMath.V) -> FastMath.V {
        typealias V = FastMath.V
        let one = V(repeating: 1)
        switch self {
        case .gelu:
            return 0.5 * (one + FastMath.erf(x * 0.70710678118654752)) + x * 0.3989422804014327 * FastMath.exp(-0.5 * x * x)
        case .geluTanh:
            let t = FastMath.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))
            return 0.5 * (one + t) + 0.5 * x * (one - t * t) * 0.7978845608028654 * (one + 3 * 0.044715 * x * x)
        case .silu:
            let s = one / (one + FastMath.exp(-x))
            return s * (one + x * (one - s))
        case .relu:
            return V(repeating: 0).replacing(with: 1, where: x .> 0)
        }
    }

    /// `y[i] = act(x[i])` for `count` values.
    public func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        KernelThreads.forRanges(count, grain: 1 << 14) { range in
            if c2s_activation_apply(kernelKind, x + range.lowerBound, y + range.lowerBound, range.count) == 0 { return }
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: FastMath.V.self)
                UnsafeMutableRawPointer(y + i).storeBytes(of: apply(v), as: FastMath.V.self)
                i += 16
            }
            while i < range.upperBound { y[i] = apply(x[i]); i += 1 }
        }
    }

    /// `gradient[i] *= act'(x[i])`: turns the gradient with respect to the activation's output
    /// into the gradient with respect to its input `x`.
    public func multiplyByDerivative(_ gradient: UnsafeMutablePointer<Float>, at x: UnsafePointer<Float>, count: Int) {
        KernelThreads.forRanges(count, grain: 1 << 14) { range in
            if c2s_activation_multiply_by_derivative(kernelKind, gradient + range.lowerBound, x + range.lowerBound, range.count) == 0 { return }
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: FastMath.V.self)
                let g = UnsafeRawPointer(gradient + i).loadUnaligned(as: FastMath.V.self)
                UnsafeMutableRawPointer(gradient + i).storeBytes(of: g * derivative(v), as: FastMath.V.self)
                i += 16
            }
            while i < range.upperBound { gradient[i] *= derivative(x[i]); i += 1 }
        }
    }

    /// Gradient of `applyGated`: from `dOut` (`[rows, width]`) and the saved `gateUp`
    /// (`[rows, 2·width]`, gate then up), writes `dGateUp` (same layout):
    /// `dGate = dOut · up · act'(gate)`, `dUp = dOut · act(gate)`.
    public func gatedBackward(_ dOut: UnsafePointer<Float>, gateUp: UnsafePointer<Float>, into dGateUp: UnsafeMutablePointer<Float>,
                              rows: Int, width: Int) {
        typealias V = FastMath.V
        KernelThreads.forRanges(rows, grain: 4) { range in
            if c2s_activation_gated_backward(kernelKind, dOut + range.lowerBound * width, gateUp + range.lowerBound * 2 * width,
                                             dGateUp + range.lowerBound * 2 * width, range.count, width) == 0 { return }
            for r in range {
                let g = gateUp + r * 2 * width, d = dOut + r * width, o = dGateUp + r * 2 * width
                var i = 0
                while i + 16 <= width {
                    let gate = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
                    let up = UnsafeRawPointer(g + width + i).loadUnaligned(as: V.self)
                    let dv = UnsafeRawPointer(d + i).loadUnaligned(as: V.self)
                    UnsafeMutableRawPointer(o + i).storeBytes(of: dv * up * derivative(gate), as: V.self)
                    UnsafeMutableRawPointer(o + width + i).storeBytes(of: dv * apply(gate), as: V.self)
                    i += 16
                }
                while i < width {
                    o[i] = d[i] * g[width + i] * derivative(g[i])
                    o[width + i] = d[i] * apply(g[i])
                    i += 1
                }
            }
        }
    }
}
