import Mechanics
import SingleCell

/// A reproducible random subset of row indices.
public enum SeededSubsample {
    /// `size` distinct indices of `0..<count`, ascending: all of them when `size >= count`
    /// (no randomness), otherwise the first `size` places of a Fisher-Yates shuffle driven by
    /// xoshiro256** seeded with `seed` (SplitMix64 expansion), then sorted.
    public static func indices(count: Int, size: Int, seed: UInt64) -> [Int] {
        guard size < count else { return Array(0..<count) }
        var rng = Xoshiro256StarStar(seed: seed)
        var order = Array(0..<count)
        for i in 0..<size {
            let j = i + Int(rng.next() % UInt64(count - i))
            order.swapAt(i, j)
        }
        return order[0..<size].sorted()
    }
}
