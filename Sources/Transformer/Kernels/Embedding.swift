/// Embedding lookups (tokens, learned positions) and their gradients.
public enum Embedding {
    /// `out[i] (+)= table[indices[i]]` for `count` rows of `width` floats.
    public static func gather(
        _ table: UnsafePointer<Float>, indices: UnsafePointer<Int32>, count: Int, width: Int,
        into out: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        KernelThreads.forRanges(count, grain: 64) { range in
            for i in range {
                let row = out + i * width, source = table + Int(indices[i]) * width
                if accumulate { Vector.axpy(1, source, row, width) } else { row.update(from: source, count: width) }
            }
        }
    }

    /// `dTable[indices[i]] += dOut[i]`: the gradient of `gather`. A row looked up several times
    /// collects every use. Workers own column ranges and each adds its rows in order, so no
    /// two threads touch one float and the sums do not depend on the thread count.
    public static func scatterAdd(
        _ dOut: UnsafePointer<Float>, indices: UnsafePointer<Int32>, count: Int, width: Int,
        into dTable: UnsafeMutablePointer<Float>
    ) {
        let blocks = (width + 15) / 16
        KernelThreads.forRanges(blocks, grain: 4) { range in
            let lo = range.lowerBound * 16, hi = min(width, range.upperBound * 16)
            for i in 0..<count {
                Vector.axpy(1, dOut + i * width + lo, dTable + Int(indices[i]) * width + lo, hi - lo)
            }
        }
    }
}
