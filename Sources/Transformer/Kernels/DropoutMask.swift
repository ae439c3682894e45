import Mechanics

/// Inverted dropout drawn from a key rather than a stream: element `(row, column)` of stream
/// `stream` is kept with probability `1 − p` and scaled by `1 / (1 − p)`, the draw a function
/// of `(key, stream, row, column)` only. The backward pass redraws the mask instead of storing
/// it, and a resumed run (the trainer keys each micro-batch by seed, step and position) draws
/// exactly what the uninterrupted run drew, on any number of threads.
///
/// Each row runs its own SplitMix64 sequence seeded from `(key, stream, row)`; one 64-bit word
/// gives four 16-bit uniforms, so `p` is resolved to 1/65536.
public struct DropoutMask: Sendable, Equatable {
    public var probability: Float
    public var key: UInt64
    public var stream: Int
    /// The global row of row 0: a data-parallel rank running part of a micro-batch draws the
    /// rows of its sequences where the whole batch would have drawn them.
    public var firstRow: Int

    public init(probability: Float, key: UInt64, stream: Int, firstRow: Int = 0) {
        self.probability = probability
        self.key = key
        self.stream = stream
        self.firstRow = firstRow
    }

    /// `y = mask ∘ x / (1 − p)` (`accumulate`: `y +=`), `x` and `y` `[rows, width]`.
    public func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, width: Int, accumulate: Bool = false) {
        let threshold = UInt64((Double(probability) * 65536).rounded())
        let scale = 1 / (1 - probability)
        let key = key, stream = UInt64(truncatingIfNeeded: stream), firstRow = firstRow
        KernelThreads.forRanges(rows, grain: 8) { range in
            for r in range {
                var state = SplitMix64.mix(key ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(truncatingIfNeeded: firstRow + r) &* 0xD1B5_4A32_D192_ED03))
                let xr = x + r * width, yr = y + r * width
                var c = 0
                while c < width {
                    state = state &+ 0x9E37_79B9_7F4A_7C15
                    var word = SplitMix64.mix(state)
                    for _ in 0..<4 where c < width {
                        let kept: Float = (word & 0xFFFF) >= threshold ? scale : 0
                        yr[c] = accumulate ? yr[c] + xr[c] * kept : xr[c] * kept
                        word >>= 16
                        c += 1
                    }
                }
            }
        }
    }
}
