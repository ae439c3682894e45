import Foundation

/// `torch.nn.utils.clip_grad_norm_(parameters, max_norm)` (L2 norm) over one flat gradient
/// buffer (e.g. gradients laid out like a `ParameterStore` arena).
///
/// The total norm is the L2 norm of all gradients as one vector (torch takes the norm of the
/// per-tensor norms, which is the same number). Squares are summed in Double so the result
/// does not depend on how many elements there are or how the work is split; torch's fp32
/// reduction differs from it only by fp32 rounding. The norm is then rounded to fp32, as
/// torch returns an fp32 tensor, and the coefficient is computed in fp32 like torch:
/// `maxNorm / (total + 1e-6)`, clamped to 1 (gradients are only ever scaled down). Scaling by
/// exactly 1 would change nothing, so it is skipped.
///
/// Returns the total norm before clipping (what the Trainer logs as `grad_norm`). A
/// non-finite norm scales nothing meaningful: the coefficient is NaN or 0 and gradients
/// become NaN or 0, as in torch with `error_if_nonfinite=False`.
@discardableResult
public func clipGradNorm(_ gradient: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float) -> Float {
    let total = Float(gradientL2Norm(gradient, count: count))
    let coefficient = maxNorm / (total + Float(1e-6))
    // `!(x >= 1)` rather than `x < 1` so a NaN coefficient propagates as in torch's clamp.
    if !(coefficient >= 1) {
        KernelThreads.forRanges(count, grain: 1 << 15) { range in
            for i in range { gradient[i] *= coefficient }
        }
    }
    return total
}

/// L2 norm of `count` floats, accumulated in Double over fixed blocks (so the result is the
/// same whatever `KernelThreads.count` is) that the cores share.
public func gradientL2Norm(_ values: UnsafePointer<Float>, count: Int) -> Double {
    guard count > 0 else { return 0 }
    let block = 1 << 16
    let blocks = (count + block - 1) / block
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: blocks) { partial in
        let partials = partial.baseAddress!
        KernelThreads.forRanges(blocks) { range in
            for b in range {
                let lo = b * block, hi = min(count, lo + block)
                partials[b] = sumOfSquares(values + lo, count: hi - lo)
            }
        }
        var sum = 0.0
        for b in 0..<blocks { sum += partials[b] }
        return sum.squareRoot()
    }
}

/// Σ x² in Double, eight lanes at a time.
@inline(__always)
private func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var lanes = SIMD8<Double>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 8 <= count {
        let v = SIMD8<Double>(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
        lanes.addProduct(v, v)
        i += 8
    }
    var sum = lanes.sum()
    while i < count {
        let v = Double(x[i])
        sum += v * v
        i += 1
    }
    return sum
}
