import Foundation
import Mechanics
import SingleCell

/// The seeded random numbers of a UMAP run: xoshiro256** (SplitMix64-seeded), so a seed gives
/// the same map on every machine. (umap-learn draws from numpy and its own Tausworthe
/// generator; its streams cannot be reproduced, only their distributions.)
struct UMAPRandom {
    var generator: Xoshiro256StarStar

    init(seed: UInt64) { generator = Xoshiro256StarStar(seed: seed) }

    /// Uniform in [0, 1).
    @inline(__always) mutating func unit() -> Double { Double(generator.next() >> 11) * 0x1p-53 }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// Standard normal (Box–Muller, one of the pair).
    mutating func normal() -> Double {
        let u = 1 - unit(), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// Uniform in 0..<count (the high word of a 64 x 64-bit product: no division in the hot loop).
    @inline(__always) mutating func index(_ count: Int) -> Int {
        Int(truncatingIfNeeded: generator.next().multipliedFullWidth(by: UInt64(count)).high)
    }

    /// A seed for a derived stream.
    mutating func nextSeed() -> UInt64 { generator.next() }
}
