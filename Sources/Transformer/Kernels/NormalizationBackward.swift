extension Normalization {
    /// Gradient of `layerNorm`, from the `statistics` (mean, 1/σ per row) its forward pass saved.
    /// With `x̂ = (x − mean)/σ` and `g = dy · weight`:
    ///
    ///     dx      += (g − mean(g) − x̂ · mean(g · x̂)) / σ      per row
    ///     dWeight += Σ_rows dy · x̂
    ///     dBias   += Σ_rows dy
    ///
    /// Everything accumulates (`+=`), so two branches reading the same input add their
    /// gradients into one buffer. The parameter sums run over column blocks, each summing its
    /// rows in order, so they come out the same whatever the thread count.
    public static func layerNormBackward(
        _ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        statistics: UnsafePointer<Float>, rows: Int, width: Int,
        dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?
    ) {
        typealias V = FastMath.V
        let n = Float(width)
        KernelThreads.forRanges(rows, grain: 16) { range in
            for r in range {
                let dyr = dy + r * width, xr = x + r * width, dxr = dx + r * width
                let mean = statistics[2 * r], inv = statistics[2 * r + 1]
                let mv = V(repeating: mean), iv = V(repeating: inv)
                var sumG = V(repeating: 0), sumGX = V(repeating: 0)
                var i = 0
                while i + 16 <= width {
                    let g = load(dyr + i) * load(weight + i)
                    sumG += g
                    sumGX += g * ((load(xr + i) - mv) * iv)
                    i += 16
                }
                var a = sumG.sum(), b = sumGX.sum()
                while i < width {
                    let g = dyr[i] * weight[i]
                    a += g
                    b += g * ((xr[i] - mean) * inv)
                    i += 1
                }
                a /= n
                b /= n
                let av = V(repeating: a), bv = V(repeating: b)
                i = 0
                while i + 16 <= width {
                    let g = load(dyr + i) * load(weight + i)
                    let xhat = (load(xr + i) - mv) * iv
                    store(load(dxr + i) + (g - av - xhat * bv) * iv, dxr + i)
                    i += 16
                }
                while i < width {
                    let g = dyr[i] * weight[i]
                    let xhat = (xr[i] - mean) * inv
                    dxr[i] += (g - a - xhat * b) * inv
                    i += 1
                }
            }
        }
        // A frozen norm (LoRA's base) has no parameter gradients.
        guard let dWeight else { return }
        KernelThreads.forRanges((width + 15) / 16) { range in
            columnBlocks(range, width: width) { c in
                var w = load(dWeight + c)
                var bsum = V(repeating: 0)
                for r in 0..<rows {
                    let d = load(dy + r * width + c)
                    let xhat = (load(x + r * width + c) - V(repeating: statistics[2 * r])) * statistics[2 * r + 1]
                    w += d * xhat
                    bsum += d
                }
                store(w, dWeight + c)
                if let dBias { store(load(dBias + c) + bsum, dBias + c) }
            } column: { j in
                var w: Float = 0, bsum: Float = 0
                for r in 0..<rows {
                    let d = dy[r * width + j]
                    w += d * ((x[r * width + j] - statistics[2 * r]) * statistics[2 * r + 1])
                    bsum += d
                }
                dWeight[j] += w
                dBias?[j] += bsum
            }
        }
    }

    /// Gradient of `rmsNorm`, from the `statistics` its forward pass saved (`1/rms` per row).
    /// With `x̂ = x / rms` and `g = dy · (offset + weight)`:
    ///
    ///     dx      += (g − x̂ · mean(g · x̂)) / rms      per row
    ///     dWeight += Σ_rows dy · x̂
    ///
    /// Accumulating and thread-count independent as `layerNormBackward`.
    public static func rmsNormBackward(
        _ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, offset: Float,
        statistics: UnsafePointer<Float>, rows: Int, width: Int,
        dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>?
    ) {
        typealias V = FastMath.V
        let n = Float(width), off = V(repeating: offset)
        KernelThreads.forRanges(rows, grain: 16) { range in
            for r in range {
                let dyr = dy + r * width, xr = x + r * width, dxr = dx + r * width
                let inv = statistics[2 * r + 1], iv = V(repeating: inv)
                var sumGX = V(repeating: 0)
                var i = 0
                while i + 16 <= width {
                    sumGX += load(dyr + i) * (off + load(weight + i)) * (load(xr + i) * iv)
                    i += 16
                }
                var b = sumGX.sum()
                while i < width { b += dyr[i] * (offset + weight[i]) * (xr[i] * inv); i += 1 }
                b /= n
                let bv = V(repeating: b)
                i = 0
                while i + 16 <= width {
                    let g = load(dyr + i) * (off + load(weight + i))
                    store(load(dxr + i) + (g - load(xr + i) * iv * bv) * iv, dxr + i)
                    i += 16
                }
                while i < width {
                    dxr[i] += (dyr[i] * (offset + weight[i]) - xr[i] * inv * b) * inv
                    i += 1
                }
            }
        }
        // A frozen norm (LoRA's base) has no parameter gradients.
        guard let dWeight else { return }
        KernelThreads.forRanges((width + 15) / 16) { range in
            columnBlocks(range, width: width) { c in
                var w = load(dWeight + c)
                for r in 0..<rows { w += load(dy + r * width + c) * (load(x + r * width + c) * statistics[2 * r + 1]) }
                store(w, dWeight + c)
            } column: { j in
                var w: Float = 0
                for r in 0..<rows { w += dy[r * width + j] * (x[r * width + j] * statistics[2 * r + 1]) }
                dWeight[j] += w
            }
        }
    }

    /// The parameter sums of both backward passes, over the 16-column blocks `blocks` of one
    /// worker: `block(c)` for each whole block from column `c`, `column(j)` for each column of
    /// the ragged end. Each sums its rows in order, so the result is the same for any thread
    /// count. Inlined into each pass, so the loops inside `block` and `column` compile in place.
    @inline(__always)
    private static func columnBlocks(_ blocks: Range<Int>, width: Int, _ block: (Int) -> Void, column: (Int) -> Void) {
        for b in blocks {
            let c = b * 16
            if c + 16 <= width {
                block(c)
            } else {
                for j in c..<width { column(j) }
            }
        }
    }

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> FastMath.V {
        UnsafeRawPointer(p).loadUnaligned(as: FastMath.V.self)
    }

    @inline(__always) private static func load(_ p: UnsafeMutablePointer<Float>) -> FastMath.V {
        UnsafeRawPointer(p).loadUnaligned(as: FastMath.V.self)
    }

    @inline(__always) private static func store(_ v: FastMath.V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: FastMath.V.self)
    }
}
