import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, deterministic 64-bit generator.
///
/// c2s uses it to seed `Xoshiro256StarStar` and, through `mix`, to derive independent seeds
/// from (seed, index) pairs so that every cell of a simulation has its own stream.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 output function: a bijective 64-bit mixer (a good integer hash). The one
    /// copy in c2s: hot kernels (dropout masks) call it, so it is inlinable across modules.
    @inlinable @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed for stream `stream` of the generator family seeded with `seed`.
    public static func derive(_ seed: UInt64, _ stream: UInt64) -> UInt64 {
        mix(mix(seed &+ 0x632B_E59B_D9B4_E019) ^ (stream &* 0x9E37_79B9_7F4A_7C15 &+ 0xD1B5_4A32_D192_ED03))
    }
}

/// xoshiro256** (Blackman & Vigna 2018): the generator behind every simulated count.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds the four state words from SplitMix64, as the authors recommend.
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// Stream `stream` (e.g. a cell index) of the family seeded with `seed`.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: SplitMix64.derive(seed, stream))
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

// MARK: - Samplers

extension RandomNumberGenerator {
    /// Uniform on [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform on (0, 1): never exactly 0, so safe under `log`.
    @inline(__always)
    public mutating func uniformOpen() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// Standard normal (Box-Muller; one value per call, so the stream is position-independent).
    public mutating func gaussian() -> Double {
        let u1 = uniformOpen(), u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Normal with the given mean and standard deviation.
    public mutating func gaussian(mean: Double, sd: Double) -> Double { mean + sd * gaussian() }

    /// Gamma with the given shape and scale 1 (Marsaglia & Tsang 2000; shape < 1 by boosting).
    public mutating func gamma(shape: Double) -> Double {
        precondition(shape > 0, "gamma shape must be positive")
        if shape < 1 {
            let boost = Foundation.pow(uniformOpen(), 1 / shape)
            return gamma(shape: shape + 1) * boost
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = gaussian()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = uniformOpen()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 { return d * v }
            if Foundation.log(u) < 0.5 * x2 + d * (1 - v + Foundation.log(v)) { return d * v }
        }
    }

    /// Poisson with the given mean: inversion below 10, Hörmann's PTRS (exact) above.
    public mutating func poisson(mean lambda: Double) -> Int {
        if !(lambda > 0) { return 0 }
        if lambda < 10 {
            let u = uniform()
            var p = Foundation.exp(-lambda)
            var f = p
            var k = 0
            while u >= f && k < 1000 {
                k += 1
                p *= lambda / Double(k)
                f += p
                if p == 0 && f < u { break }  // rounding left u beyond the summed tail
            }
            return k
        }
        // PTRS: W. Hörmann, "The transformed rejection method for generating Poisson random
        // variables", Insurance: Mathematics and Economics 12 (1993).
        let slam = lambda.squareRoot()
        let loglam = Foundation.log(lambda)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5
            let v = uniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + lambda + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if Foundation.log(v) + Foundation.log(invalpha) - Foundation.log(a / (us * us) + b)
                <= -lambda + k * loglam - logFactorial(Int(k)) {
                return Int(k)
            }
        }
    }

    /// Negative binomial with mean `mean` and size `size` (variance mean + mean²/size): exact
    /// inversion of the probability function for small means, Gamma-Poisson mixing above.
    @inline(__always)
    public mutating func negativeBinomial(mean: Double, size: Double) -> Int {
        if !(mean > 0) { return 0 }
        if mean >= 12 {
            return poisson(mean: gamma(shape: size) * (mean / size))
        }
        let u = uniform()
        // P(0) = (1 + mean/size)^-size >= exp(-mean) >= 1 - mean + mean²/2 - mean³/6, so most
        // zeros of lowly expressed genes are decided without a logarithm (and exactly).
        if u < 1 - mean * (1 - mean * (0.5 - mean * (1.0 / 6))) { return 0 }
        let total = mean + size
        let q = mean / total
        // P(0) = (size / (size + mean))^size; glibc's log is much faster than log1p, and the
        // absolute error of P(0) stays near 1e-14.
        var p = Foundation.exp(size * Foundation.log(size / total))
        var f = p
        var k = 0
        while u >= f {
            p *= (Double(k) + size) / Double(k + 1) * q
            k += 1
            f += p
            if (p < 1e-300 && k > Int(mean)) || k > 100_000 { break }
        }
        return k
    }
}

/// log(k!) for k >= 0: a table for small k, Stirling's series beyond.
@inline(__always)
public func logFactorial(_ k: Int) -> Double {
    if k < logFactorialTable.count { return logFactorialTable[k] }
    let x = Double(k + 1)
    let inv = 1 / x, inv2 = inv * inv
    return (x - 0.5) * Foundation.log(x) - x + 0.918_938_533_204_672_8
        + inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260)))
}

let logFactorialTable: [Double] = {
    var table = [Double](repeating: 0, count: 256)
    for k in 1..<256 { table[k] = table[k - 1] + Foundation.log(Double(k)) }
    return table
}()
