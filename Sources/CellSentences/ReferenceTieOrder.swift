/// How genes with equal expression are ordered in a sentence.
public enum TieOrder: String, Sendable, Codable, CaseIterable {
    /// A shuffle seeded by (seed, input row): the same sentence for a cell whatever the thread
    /// count, block size or other cells (the default).
    case seeded
    /// cell2sentence 1.2.0's order, byte for byte: one MT19937 stream (NumPy's legacy
    /// `RandomState`, seeded with `--seed`; the reference always uses 42) running through the
    /// cells in order, shuffling each cell's entries (`sklearn.utils.shuffle`) before a stable
    /// sort by value. Exact when the matrix stores no explicit zeros (the reference shuffles
    /// those too).
    case reference
}

extension TieOrder {
    /// How manifest.json's `sentences.tie_break` says it: a sentence a reader can follow. The
    /// manifest stores this text and ``DatasetManifest`` reads it back into the enum, so the
    /// prose is never matched anywhere else.
    public var manifestText: String {
        switch self {
        case .seeded: return "seeded shuffle per (seed, input row) then stable sort by value, descending"
        case .reference: return "reference: one MT19937 stream (seed) through the cells in order, shuffle then stable sort by value, descending"
        }
    }

    /// The order a manifest's `tie_break` text names (datasets written by any c2s version).
    public init?(manifestText text: String) {
        guard let order = TieOrder.allCases.first(where: { $0.manifestText == text }) else { return nil }
        self = order
    }
}

/// The Mersenne Twister MT19937 with NumPy's legacy `random_interval` and `shuffle`, so that
/// c2s can reproduce the reference's tie order exactly. Sequential by nature.
public struct MT19937: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `np.random.seed(seed)` for 0 <= seed < 2^32 (classic `init_genrand`).
    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for k in 0..<624 {
            let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7FFF_FFFF)
            var v = state[(k + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { v ^= 0x9908_B0DF }
            state[k] = v
        }
        index = 0
    }

    /// Uniform in 0...max by masked rejection, as NumPy's `random_interval`.
    public mutating func interval(_ max: UInt64) -> UInt64 {
        if max == 0 { return 0 }
        var mask = max
        for s: UInt64 in [1, 2, 4, 8, 16, 32] { mask |= mask >> s }
        if max <= 0xFFFF_FFFF {
            while true {
                let v = UInt64(nextUInt32()) & mask
                if v <= max { return v }
            }
        }
        while true {
            let hi = UInt64(nextUInt32()), lo = UInt64(nextUInt32())
            let v = ((hi << 32) | lo) & mask
            if v <= max { return v }
        }
    }

    /// `idx = np.arange(n); RandomState.shuffle(idx)` into `out`.
    public mutating func permutation(_ n: Int, into out: UnsafeMutablePointer<Int32>) {
        for i in 0..<n { out[i] = Int32(i) }
        guard n > 1 else { return }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(interval(UInt64(i)))
            let t = out[i]; out[i] = out[j]; out[j] = t
        }
    }
}
