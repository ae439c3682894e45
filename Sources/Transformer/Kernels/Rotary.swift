import Foundation

/// Rotary position embedding, rotate-half style (GPT-NeoX, Llama, Gemma): the first
/// `rotaryDims` of each head's `headDim` are rotated in pairs `(i, i + rotaryDims/2)`; the
/// rest pass through (GPT-NeoX's partial rotary).
public struct Rotary: Sendable {
    public let headDim: Int
    public let rotaryDims: Int
    /// `1 / base^(2i/rotaryDims)` computed in fp32 as transformers does.
    let inverseFrequencies: [Float]
    /// Positions are divided by this factor ("linear" rope scaling).
    let positionScale: Float

    public init(headDim: Int, rotaryDims: Int, base: Float, linearScaling: Float = 1) {
        self.headDim = headDim
        self.rotaryDims = rotaryDims
        let half = rotaryDims / 2
        inverseFrequencies = (0..<half).map { i in 1 / powf(base, Float(2 * i) / Float(rotaryDims)) }
        positionScale = linearScaling
    }

    /// Fills `cos`/`sin` (each `rotaryDims / 2`) for one position.
    @inline(__always)
    func angles(position: Int, cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        let p = Float(position) / positionScale
        for i in 0..<(rotaryDims / 2) {
            let angle = p * inverseFrequencies[i]
            cos[i] = cosf(angle)
            sin[i] = sinf(angle)
        }
    }

    /// Rotates `heads` heads of one token's projection laid out `[heads, headDim]` in place.
    @inline(__always)
    func rotate(_ x: UnsafeMutablePointer<Float>, heads: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let half = rotaryDims / 2
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<half {
                let a = v[i], b = v[i + half]
                v[i] = a * cos[i] - b * sin[i]
                v[i + half] = b * cos[i] + a * sin[i]
            }
        }
    }

    /// Rotates the query and key heads of every token of a fused `[tokens, width]` projection
    /// whose rows hold `queryHeads` query heads at column 0 and `keyHeads` key heads at
    /// `keyOffset`.
    ///
    /// With `inverse`, rotates by the opposite angles instead. That is the backward pass: the
    /// rotation is orthogonal, so the gradient with respect to the unrotated heads is the
    /// gradient with respect to the rotated ones turned back (`Rᵀ = R⁻¹`).
    public func apply(
        _ qkv: UnsafeMutablePointer<Float>, width: Int, tokens: Int, positions: UnsafePointer<Int32>,
        queryHeads: Int, keyHeads: Int, keyOffset: Int, inverse: Bool = false
    ) {
        guard rotaryDims > 0 else { return }
        let half = rotaryDims / 2
        KernelThreads.forRanges(tokens, grain: 8) { range in
            let table = UnsafeMutablePointer<Float>.allocate(capacity: 2 * half)
            defer { table.deallocate() }
            for t in range {
                let row = qkv + t * width
                let pos = Int(positions[t])
                // One table per token serves its query and key heads.
                angles(position: pos, cos: table, sin: table + half)
                if inverse { for i in 0..<half { table[half + i] = -table[half + i] } }
                rotate(row, heads: queryHeads, cos: table, sin: table + half)
                rotate(row + keyOffset, heads: keyHeads, cos: table, sin: table + half)
            }
        }
    }
}
