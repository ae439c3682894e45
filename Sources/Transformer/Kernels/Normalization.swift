/// Layer and RMS normalisation over the last dimension of a `[rows, width]` matrix, in fp32
/// with SIMD accumulators (Swift does not reassociate scalar float sums).
public enum Normalization {
    /// `y = (x - mean) / sqrt(var + eps) * weight + bias` (PyTorch `LayerNorm`, biased variance).
    /// Training passes `statistics` (`[rows, 2]`) to keep each row's mean and `1/sqrt(var + eps)`
    /// for `layerNormBackward`.
    public static func layerNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        eps: Float, into y: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        statistics: UnsafeMutablePointer<Float>? = nil
    ) {
        KernelThreads.forRanges(rows, grain: 16) { range in
            for r in range {
                let xr = x + r * width, yr = y + r * width
                let mean = Vector.sum(xr, width) / Float(width)
                let variance = Vector.sumOfSquaredDeviations(xr, width, from: mean) / Float(width)
                let inv = 1 / (variance + eps).squareRoot()
                if let statistics {
                    statistics[2 * r] = mean
                    statistics[2 * r + 1] = inv
                }
                if let bias {
                    for i in 0..<width { yr[i] = (xr[i] - mean) * inv * weight[i] + bias[i] }
                } else {
                    for i in 0..<width { yr[i] = (xr[i] - mean) * inv * weight[i] }
                }
            }
        }
    }

    /// `y = x / sqrt(mean(x²) + eps) * (offset + weight)`: Llama uses offset 0, Gemma offset 1.
    /// Training passes `statistics` (`[rows, 2]`, as `layerNorm`'s: 0 then `1/rms`) for
    /// `rmsNormBackward`.
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, offset: Float,
        eps: Float, into y: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        statistics: UnsafeMutablePointer<Float>? = nil
    ) {
        KernelThreads.forRanges(rows, grain: 16) { range in
            for r in range {
                let xr = x + r * width, yr = y + r * width
                let inv = 1 / (Vector.dot(xr, xr, width) / Float(width) + eps).squareRoot()
                if let statistics {
                    statistics[2 * r] = 0
                    statistics[2 * r + 1] = inv
                }
                for i in 0..<width { yr[i] = (xr[i] * inv) * (offset + weight[i]) }
            }
        }
    }
}

/// Reductions and element-wise operations on contiguous float vectors.
public enum Vector {
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= n {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var s = acc.sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD16<Float>(repeating: 0), acc1 = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 32 <= n {
            acc0 += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            acc1 += UnsafeRawPointer(a + i + 16).loadUnaligned(as: SIMD16<Float>.self)
                * UnsafeRawPointer(b + i + 16).loadUnaligned(as: SIMD16<Float>.self)
            i += 32
        }
        while i + 16 <= n {
            acc0 += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var s = (acc0 + acc1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    @inline(__always)
    static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, _ n: Int, from mean: Float) -> Float {
        var acc = SIMD16<Float>(repeating: 0)
        let m = SIMD16<Float>(repeating: mean)
        var i = 0
        while i + 16 <= n {
            let d = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - m
            acc += d * d
            i += 16
        }
        var s = acc.sum()
        while i < n { let d = x[i] - mean; s += d * d; i += 1 }
        return s
    }

    /// `y[i] += a · x[i]`.
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let av = SIMD16<Float>(repeating: a)
        while i + 16 <= n {
            let r = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
                + av * UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: r, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// `y[r, :] += x[r, :]` for a `[rows, width]` matrix (residual connections).
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        KernelThreads.forRanges(count, grain: 1 << 15) { range in
            axpy(1, x + range.lowerBound, y + range.lowerBound, range.count)
        }
    }

    /// Adds a bias row to every row of a `[rows, width]` matrix.
    public static func addBias(_ bias: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        KernelThreads.forRanges(rows, grain: 32) { range in
            for r in range { axpy(1, bias, y + r * width, width) }
        }
    }

    /// Multiplies every element by `s`.
    public static func scale(_ y: UnsafeMutablePointer<Float>, by s: Float, count: Int) {
        for i in 0..<count { y[i] *= s }
    }
}
