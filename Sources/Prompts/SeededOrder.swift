import CellSentences
import Foundation
import Mechanics
import SingleCell

/// Seeded, platform-independent orderings.
enum SeededOrder {
    /// A stream number for a key: 64-bit FNV-1a over the UTF-8 bytes of the parts (each followed
    /// by a 0x1F separator), stable across runs and platforms.
    static func stream(_ parts: [String]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for part in parts {
            for byte in part.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            hash = (hash ^ 0x1F) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// A uniform integer in 0..<bound (Lemire's multiply-and-reject method).
    @inline(__always)
    static func below(_ bound: Int, _ rng: inout SplitMix64) -> Int {
        let n = UInt64(bound)
        var m = rng.next().multipliedFullWidth(by: n)
        if m.low < n {
            let threshold = (0 &- n) % n
            while m.low < threshold { m = rng.next().multipliedFullWidth(by: n) }
        }
        return Int(m.high)
    }

    /// Fisher–Yates shuffle driven by SplitMix64 seeded from (`seed`, `stream`).
    static func shuffle<T>(_ items: inout [T], seed: UInt64, stream: UInt64) {
        guard items.count > 1 else { return }
        var rng = SplitMix64(seed: SplitMix64.derive(seed, stream))
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = below(i + 1, &rng)
            if i != j { items.swapAt(i, j) }
        }
    }
}
