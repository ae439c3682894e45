import Mechanics
import SingleCell

/// Orders a cell's expressed genes by descending expression: the cell sentence.
///
/// Ties (very common among low counts) are broken at random, as in the reference, but the
/// randomness depends only on `(seed, cell index)`: a cell's sentence is the same whatever the
/// number of threads, block size or other cells in the file. The order inside a tie is that of
/// a seeded Fisher-Yates shuffle of the cell's entries followed by a stable sort by value,
/// which is what the reference does with its global NumPy state.
public struct RankTransform: Sendable {
    public let seed: UInt64

    public init(seed: UInt64 = 0) { self.seed = seed }

    /// Reusable buffers for one worker thread.
    public final class Scratch {
        var capacity = 0
        var keys = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        var keys2 = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        var slots = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        var slots2 = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        let histogram = UnsafeMutablePointer<Int>.allocate(capacity: 4 * 256)
        public init() {}

        func reserve(_ n: Int) {
            guard n > capacity else { return }
            for p in [keys, keys2, slots, slots2] { p.deallocate() }
            capacity = max(n, capacity * 2)
            keys = .allocate(capacity: capacity); keys2 = .allocate(capacity: capacity)
            slots = .allocate(capacity: capacity); slots2 = .allocate(capacity: capacity)
        }

        deinit {
            for p in [keys, keys2, slots, slots2] { p.deallocate() }
            histogram.deallocate()
        }
    }

    /// Writes into `order` the positions (0..<count, relative to `values`) of the entries with
    /// value > 0, highest value first, and returns how many there are. Entries must be finite
    /// and non-negative.
    public func order(cell: Int, values: UnsafePointer<Float>, count: Int, scratch: Scratch, into order: UnsafeMutablePointer<Int32>) -> Int {
        scratch.reserve(count)
        var rng = SplitMix64(seed: Self.cellSeed(seed, cell))
        let slots = scratch.slots
        // Keep only expressed entries, then shuffle them (Fisher-Yates).
        var n = 0
        for i in 0..<count where values[i] > 0 {
            slots[n] = UInt32(i)
            n += 1
        }
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(rng.next(below: UInt64(i + 1)))
                let t = slots[i]; slots[i] = slots[j]; slots[j] = t
            }
        }
        return Self.sortDescending(values: values, shuffled: n, scratch: scratch, into: order)
    }

    /// As `order`, but with the entries already shuffled by the caller: `permutation[s]` is the
    /// entry at shuffled position `s` (used to reproduce the reference's global random stream).
    public func order(values: UnsafePointer<Float>, count: Int, permutation: UnsafePointer<Int32>, scratch: Scratch, into order: UnsafeMutablePointer<Int32>) -> Int {
        scratch.reserve(count)
        let slots = scratch.slots
        var n = 0
        for s in 0..<count where values[Int(permutation[s])] > 0 {
            slots[n] = UInt32(permutation[s])
            n += 1
        }
        return Self.sortDescending(values: values, shuffled: n, scratch: scratch, into: order)
    }

    /// Stable sort of the `n` shuffled entries in `scratch.slots` by descending value: for
    /// positive floats the bit pattern orders like the value, so its complement sorts
    /// descending as an integer.
    static func sortDescending(values: UnsafePointer<Float>, shuffled n: Int, scratch: Scratch, into order: UnsafeMutablePointer<Int32>) -> Int {
        let keys = scratch.keys, slots = scratch.slots
        for s in 0..<n { keys[s] = ~values[Int(slots[s])].bitPattern }
        let sorted = radixSort(keys: keys, slots: slots, count: n, scratch: scratch)
        for s in 0..<n { order[s] = Int32(bitPattern: sorted[s]) }
        return n
    }

    /// Stable LSD radix sort of `keys` (8-bit digits, passes where every key shares the digit
    /// skipped) carrying `slots`; returns the buffer that holds the sorted slots.
    static func radixSort(keys: UnsafeMutablePointer<UInt32>, slots: UnsafeMutablePointer<UInt32>, count n: Int, scratch: Scratch) -> UnsafeMutablePointer<UInt32> {
        if n < 2 { return slots }
        let hist = scratch.histogram
        hist.initialize(repeating: 0, count: 4 * 256)
        for s in 0..<n {
            let k = keys[s]
            hist[Int(k & 0xFF)] += 1
            hist[256 + Int((k >> 8) & 0xFF)] += 1
            hist[512 + Int((k >> 16) & 0xFF)] += 1
            hist[768 + Int(k >> 24)] += 1
        }
        var srcK = keys, srcS = slots, dstK = scratch.keys2, dstS = scratch.slots2
        if srcK == scratch.keys2 { dstK = scratch.keys; dstS = scratch.slots }
        for pass in 0..<4 {
            let h = hist + pass * 256
            let shift = UInt32(pass * 8)
            if h[Int((srcK[0] >> shift) & 0xFF)] == n { continue }
            var sum = 0
            for d in 0..<256 { let c = h[d]; h[d] = sum; sum += c }
            for s in 0..<n {
                let k = srcK[s]
                let d = Int((k >> shift) & 0xFF)
                let at = h[d]
                h[d] = at + 1
                dstK[at] = k
                dstS[at] = srcS[s]
            }
            swap(&srcK, &dstK)
            swap(&srcS, &dstS)
        }
        return srcS
    }

    /// The generator seed of one cell: a strong mix of the user seed and the cell's index in
    /// the input file.
    public static func cellSeed(_ seed: UInt64, _ cell: Int) -> UInt64 {
        var s = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: cell) &* 0x9E37_79B9_7F4A_7C15))
        return s.next()
    }
}

extension SplitMix64 {
    /// Uniform integer in 0..<bound (Lemire's multiply-shift with rejection).
    @inlinable mutating func next(below bound: UInt64) -> UInt64 {
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let t = (0 &- bound) % bound
            while m.low < t { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }
}
