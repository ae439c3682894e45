/// Vectorised exp, tanh and erf for the activation and softmax kernels. Scalar libm calls
/// cost 5-10 ns each, which adds up to seconds over a long prompt's MLP and attention. Only
/// plain lane-wise arithmetic and bit operations are used: Swift's generic SIMD rounding,
/// conversions and masked `replace` are not specialised and run lane by lane through memory.
/// Accuracy: exp to a few ulp, tanh and erf to about 2e-7 absolute, well inside the 1e-4
/// logit parity the engine is held to.
public enum FastMath {
    public typealias V = SIMD16<Float>
    typealias Bits = SIMD16<UInt32>

    /// e^x for x in [-87.3, 88.7] (inputs outside are clamped: the results stay finite and
    /// positive). Cephes-style: x = n·ln2 + r, e^r by a degree-6 polynomial, 2^n from the
    /// exponent bits.
    @inline(__always)
    public static func exp(_ x: V) -> V {
        let clamped = minimum(maximum(x, V(repeating: -87.3)), V(repeating: 88.7))
        // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits.
        let magic = V(repeating: 12_582_912)
        let shifted = clamped * 1.442695040888963 + magic
        let n = shifted - magic
        var r = clamped - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r * r + r + 1
        let integer = unsafeBitCast(shifted, to: Bits.self) &- 0x4B40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: V.self)
        return p * scale
    }

    /// Lane-wise max by a sign-bit mask (the standard library's `pointwiseMax` goes lane by
    /// lane). NaN handling is not needed: the kernels never feed NaN on purpose.
    @inline(__always)
    public static func maximum(_ a: V, _ b: V) -> V {
        let aLess = unsafeBitCast(unsafeBitCast(a - b, to: SIMD16<Int32>.self) &>> 31, to: Bits.self)
        let ab = unsafeBitCast(a, to: Bits.self), bb = unsafeBitCast(b, to: Bits.self)
        return unsafeBitCast((bb & aLess) | (ab & ~aLess), to: V.self)
    }

    /// Lane-wise min, as `maximum`.
    @inline(__always)
    public static func minimum(_ a: V, _ b: V) -> V {
        let aLess = unsafeBitCast(unsafeBitCast(a - b, to: SIMD16<Int32>.self) &>> 31, to: Bits.self)
        let ab = unsafeBitCast(a, to: Bits.self), bb = unsafeBitCast(b, to: Bits.self)
        return unsafeBitCast((ab & aLess) | (bb & ~aLess), to: V.self)
    }

    /// |x|, by clearing the sign bits.
    @inline(__always)
    public static func magnitude(_ x: V) -> V {
        unsafeBitCast(unsafeBitCast(x, to: Bits.self) & 0x7FFF_FFFF, to: V.self)
    }

    /// `magnitude` with the sign of `sign`.
    @inline(__always)
    static func withSign(of sign: V, _ magnitude: V) -> V {
        let s = unsafeBitCast(sign, to: Bits.self) & 0x8000_0000
        return unsafeBitCast(unsafeBitCast(magnitude, to: Bits.self) | s, to: V.self)
    }

    /// tanh(x) = sign(x)·(1 - 2/(e^{2|x|} + 1)).
    @inline(__always)
    public static func tanh(_ x: V) -> V {
        let e = exp(magnitude(x) * 2)
        let one = V(repeating: 1)
        return withSign(of: x, one - 2 / (e + one))
    }

    /// erf(x) by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7).
    @inline(__always)
    public static func erf(_ x: V) -> V {
        let a = magnitude(x)
        let one = V(repeating: 1)
        let t = one / (one + V(repeating: 0.3275911) * a)
        var y = V(repeating: 1.061405429)
        y = y * t - 1.453152027
        y = y * t + 1.421413741
        y = y * t - 0.284496736
        y = y * t + 0.254829592
        let gauss = exp(-(a * a))
        return withSign(of: x, one - y * t * gauss)
    }
}
