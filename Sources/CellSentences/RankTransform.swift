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
        var keys: [UInt64] = []
        var permutation: [UInt32] = []
        var inverse: [UInt32] = []
        public init() {}
    }

    /// Writes into `order` the positions (0..<count, relative to `values`) of the entries with
    /// value > 0, highest value first, and returns how many there are. Entries must be finite
    /// and non-negative.
    @inlinable
    public func order(cell: Int, values: UnsafePointer<Float>, count: Int, scratch: Scratch, into order: UnsafeMutablePointer<Int32>) -> Int {
        orderImpl(cell: cell, values: values, count: count, scratch: scratch, into: order)
    }

    @usableFromInline
    func orderImpl(cell: Int, values: UnsafePointer<Float>, count: Int, scratch: Scratch, into order: UnsafeMutablePointer<Int32>) -> Int {
        if scratch.keys.count < count {
            let n = max(count, scratch.keys.count * 2)
            scratch.keys = [UInt64](repeating: 0, count: n)
            scratch.permutation = [UInt32](repeating: 0, count: n)
            scratch.inverse = [UInt32](repeating: 0, count: n)
        }
        var rng = SplitMix64(seed: Self.cellSeed(seed, cell))
        return scratch.keys.withUnsafeMutableBufferPointer { kb in
            scratch.permutation.withUnsafeMutableBufferPointer { pb in
                scratch.inverse.withUnsafeMutableBufferPointer { ib in
                    let keys = kb.baseAddress!, perm = pb.baseAddress!, inv = ib.baseAddress!
                    // Keep only expressed entries, then shuffle their positions.
                    var n = 0
                    for i in 0..<count where values[i] > 0 {
                        perm[n] = UInt32(i)
                        n += 1
                    }
                    if n > 1 {
                        for i in stride(from: n - 1, to: 0, by: -1) {
                            let j = Int(rng.next(below: UInt64(i + 1)))
                            let t = perm[i]; perm[i] = perm[j]; perm[j] = t
                        }
                    }
                    // Key: descending value in the high half, shuffled slot in the low half, so an
                    // ascending sort is "value descending, then shuffled order".
                    for s in 0..<n {
                        let i = Int(perm[s])
                        inv[s] = UInt32(i)
                        keys[s] = (UInt64(~values[i].bitPattern) << 32) | UInt64(s)
                    }
                    var sortable = UnsafeMutableBufferPointer(start: keys, count: n)
                    sortable.sort()
                    for s in 0..<n { order[s] = Int32(inv[Int(keys[s] & 0xFFFF_FFFF)]) }
                    return n
                }
            }
        }
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
