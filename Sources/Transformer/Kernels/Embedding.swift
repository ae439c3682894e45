/// Embedding lookups (tokens, learned positions) and their gradients.
public enum Embedding {
    /// `out[i] (+)= scale · table[indices[i]]` for `count` rows of `width` floats (Gemma
    /// scales its embeddings by √hidden).
    public static func gather(
        _ table: UnsafePointer<Float>, indices: UnsafePointer<Int32>, count: Int, width: Int,
        into out: UnsafeMutablePointer<Float>, accumulate: Bool = false, scale: Float = 1
    ) {
        KernelThreads.forRanges(count, grain: 64) { range in
            for i in range {
                let row = out + i * width, source = table + Int(indices[i]) * width
                if accumulate {
                    Vector.axpy(scale, source, row, width)
                } else if scale == 1 {
                    row.update(from: source, count: width)
                } else {
                    for j in 0..<width { row[j] = source[j] * scale }
                }
            }
        }
    }

    /// `dTable[indices[i]] += scale · dOut[i]`: the gradient of `gather`. A row looked up several times
    /// collects every use. Workers own column ranges and each adds its rows in order, so no
    /// two threads touch one float and the sums do not depend on the thread count.
    public static func scatterAdd(
        _ dOut: UnsafePointer<Float>, indices: UnsafePointer<Int32>, count: Int, width: Int,
        into dTable: UnsafeMutablePointer<Float>, scale: Float = 1
    ) {
        let blocks = (width + 15) / 16
        KernelThreads.forRanges(blocks, grain: 4) { range in
            let lo = range.lowerBound * 16, hi = min(width, range.upperBound * 16)
            for i in 0..<count {
                Vector.axpy(scale, dOut + i * width + lo, dTable + Int(indices[i]) * width + lo, hi - lo)
            }
        }
    }
}

extension Embedding {
    /// `gather` from a bfloat16 table (a model kept in bf16): each row widened to fp32, which is
    /// exact, then scaled in fp32.
    public static func gatherBF16(
        _ table: UnsafePointer<UInt16>, indices: UnsafePointer<Int32>, count: Int, width: Int,
        into out: UnsafeMutablePointer<Float>, accumulate: Bool = false, scale: Float = 1
    ) {
        KernelThreads.forRanges(count, grain: 64) { range in
            for i in range {
                let row = out + i * width, source = table + Int(indices[i]) * width
                if accumulate {
                    for j in 0..<width { row[j] += scale * Float(bitPattern: UInt32(source[j]) << 16) }
                } else {
                    FloatConversion.bfloat16ToFloat(UnsafeRawPointer(source), row, count: width)
                    if scale != 1 { for j in 0..<width { row[j] *= scale } }
                }
            }
        }
    }
}

extension Embedding {
    /// `gather` from an int8 table with one scale per row (a model quantized to int8): each row
    /// dequantized to `rowScales[row] · q` in fp32, times `scale`.
    public static func gatherInt8(
        _ table: UnsafePointer<Int8>, rowScales: UnsafePointer<Float>, indices: UnsafePointer<Int32>, count: Int, width: Int,
        into out: UnsafeMutablePointer<Float>, accumulate: Bool = false, scale: Float = 1
    ) {
        KernelThreads.forRanges(count, grain: 64) { range in
            for i in range {
                let index = Int(indices[i])
                let row = out + i * width, source = table + index * width, factor = rowScales[index] * scale
                if accumulate {
                    for j in 0..<width { row[j] += factor * Float(source[j]) }
                } else {
                    for j in 0..<width { row[j] = factor * Float(source[j]) }
                }
            }
        }
    }
}
