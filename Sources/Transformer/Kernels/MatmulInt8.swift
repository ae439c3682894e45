import CKernels

extension Matmul {
    /// `c[m, n] (+)= a[m, k] · Wᵀ` with `W = diag(scales) · q`, the weight-only int8 form of an
    /// `[n, k]` matrix (`q` int8 row-major, one fp32 scale per row, i.e. per output column of
    /// `c`). `a` and `c` are fp32.
    ///
    /// Decoding-sized products (m ≤ `fewRows`) read the int8 rows directly
    /// (`c2s_linear_few_rows_i8`, the scale applied once per output): a quarter of the bytes of
    /// fp32 and half of bf16, which is what bounds a decoding step. One row multiplies fp32 `a`
    /// with the weights widened to fp32; several rows (AVX512-VNNI) quantize `a` to int16 per
    /// row for `vpdpwssd`, which keeps batches as fast as bf16's `vdpbf16ps`. Larger products (prefill) widen panels of `q` to bfloat16 —
    /// exact, |q| ≤ 127 — and multiply them with `linearBF16`, then scale each output column;
    /// so prefill runs at the bf16 product's speed, and the only rounding beyond the weights'
    /// own is the one `linearBF16` may apply to `a`.
    public static func linearInt8(
        _ a: UnsafePointer<Float>, _ q: UnsafePointer<Int8>, scales: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool = false
    ) {
        guard m > 0, n > 0 else { return }
        if m <= fewRows {
            KernelThreads.forRanges(n, grain: 64) { range in
                c2s_linear_few_rows_i8(a, q, scales, c, m, k, n, range.lowerBound, range.upperBound, accumulate ? 1 : 0)
            }
            return
        }
        linearInt8Panels(a, q, scales: scales, into: c, m: m, n: n, k: k, accumulate: accumulate)
    }

    /// The prefill path: `panel` weight rows at a time widened to bf16 (~1 MB, stays in cache
    /// for the product), multiplied with up to `chunk` rows of `a` into `product`, then
    /// `c[i, j] (+)= scales[j] · product[i, j]`. `linearBF16` writes rows of stride `n`, so the
    /// panel's product goes to its own buffer before its columns are scaled into `c`. All
    /// scratch is allocated once per call, outside the loops.
    static func linearInt8Panels(
        _ a: UnsafePointer<Float>, _ q: UnsafePointer<Int8>, scales: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        let panel = max(16, min(n, (1 << 19) / max(1, k)))
        let chunk = min(m, 512)
        let widened = UnsafeMutablePointer<UInt16>.allocate(capacity: panel * k)
        let product = UnsafeMutablePointer<Float>.allocate(capacity: chunk * panel)
        defer { widened.deallocate(); product.deallocate() }
        var j0 = 0
        while j0 < n {
            let rows = min(panel, n - j0)
            let source = q + j0 * k
            let target = widened
            KernelThreads.forRanges(rows * k, grain: 1 << 16) { range in
                c2s_i8_to_bf16(source + range.lowerBound, target + range.lowerBound, range.count)
            }
            var i0 = 0
            while i0 < m {
                let count = min(chunk, m - i0)
                linearBF16(a + i0 * k, widened, into: product, m: count, n: rows, k: k)
                let out = c + i0 * n + j0, s = scales + j0, from = UnsafePointer(product)
                KernelThreads.forRanges(count, grain: 16) { range in
                    for i in range {
                        let o = out + i * n, p = from + i * rows
                        if accumulate {
                            for j in 0..<rows { o[j] += s[j] * p[j] }
                        } else {
                            for j in 0..<rows { o[j] = s[j] * p[j] }
                        }
                    }
                }
                i0 += count
            }
            j0 += rows
        }
    }
}
