import Mechanics

/// A seeded random permutation of 0..<n that is computed, not stored: position p maps to
/// example `self[p]` through a keyed Feistel network on the smallest even-bit domain that
/// holds n, with cycle walking back into 0..<n. Any position costs a few hashes, and memory
/// does not depend on n, so a run over millions of examples can shuffle all of them
/// (`TrainingOptions.BatchOrder.permuted`) without a permutation array.
///
/// The rounds use SplitMix64's finaliser keyed per (seed, stream, round); six rounds make
/// neighbouring positions land far apart. The same seed and stream give the same permutation
/// on any machine.
public struct SeededPermutation: Sendable, Equatable {
    public let count: Int
    private let halfBits: Int
    private let mask: UInt64
    private let keys: [UInt64]

    public init(count: Int, seed: UInt64, stream: UInt64) {
        precondition(count >= 1, "a permutation of at least one element")
        self.count = count
        let bits = max(2, UInt64.bitWidth - UInt64(count - 1).leadingZeroBitCount)
        halfBits = (bits + 1) / 2
        mask = (UInt64(1) << UInt64(halfBits)) - 1
        keys = (0..<6).map { round in
            SplitMix64.mix(seed ^ SplitMix64.mix(stream &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(round) &* 0xD1B5_4A32_D192_ED03))
        }
    }

    /// The element at position `position` (0..<count).
    public subscript(position: Int) -> Int {
        precondition(position >= 0 && position < count, "position \(position) outside 0..<\(count)")
        var x = UInt64(position)
        repeat { x = encrypt(x) } while x >= UInt64(count)
        return Int(x)
    }

    @inline(__always) private func encrypt(_ x: UInt64) -> UInt64 {
        var left = x >> UInt64(halfBits), right = x & mask
        for key in keys {
            (left, right) = (right, left ^ (SplitMix64.mix(right ^ key) & mask))
        }
        return (left << UInt64(halfBits)) | right
    }
}
