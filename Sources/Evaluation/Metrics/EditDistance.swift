/// Levenshtein distance between token sequences: the least number of insertions, deletions
/// and substitutions of single tokens that turn one sequence into the other (all costs 1).
///
/// Computed with Myers' bit-parallel algorithm in Hyyrö's formulation for edit distance, one
/// 64-bit word per 64 tokens of the first sequence ("pattern"): the vertical differences of a
/// dynamic-programming column are kept as bit vectors and every token of the second sequence
/// advances the whole column in a few word operations. Multi-word patterns pass the
/// horizontal differences of each word's top row to the next word (the incoming negative
/// difference folded into the match mask carries the addition across words). A token below
/// zero matches nothing.
public enum EditDistance {
    /// Match masks of a pattern: for each symbol, `words` bit vectors with bit i set where the
    /// pattern has that symbol. Reusable across patterns (clear with `reset`).
    public final class PatternMasks {
        let symbols: Int
        public private(set) var words = 0
        public private(set) var length = 0
        var masks: UnsafeMutablePointer<UInt64>
        var capacityWords = 0
        private var set: [Int32] = []

        /// Masks for symbols `0..<symbols`.
        public init(symbols: Int) {
            self.symbols = symbols
            masks = .allocate(capacity: 1)
        }

        deinit { masks.deallocate() }

        /// Loads `pattern` (clearing the previous one).
        public func load<C: Collection>(_ pattern: C) where C.Element == Int32 {
            reset()
            length = pattern.count
            words = max(1, (length + 63) / 64)
            if words > capacityWords {
                // One row more than there are symbols: an all-zero row that tokens below zero
                // (and padding) can be pointed at.
                masks.deallocate()
                capacityWords = words
                masks = .allocate(capacity: (symbols + 1) * words)
                masks.initialize(repeating: 0, count: (symbols + 1) * words)
            }
            for (i, s) in pattern.enumerated() where s >= 0 {
                precondition(Int(s) < symbols, "token \(s) outside 0..<\(symbols)")
                masks[Int(s) * words + (i >> 6)] |= 1 &<< UInt64(i & 63)
                set.append(s)
            }
        }

        /// Clears the masks of the loaded pattern.
        public func reset() {
            for s in set {
                for w in 0..<words { masks[Int(s) * words + w] = 0 }
            }
            set.removeAll(keepingCapacity: true)
        }

        /// The mask word `w` of `symbol` (0 for symbols below zero).
        @inline(__always) func mask(_ symbol: Int32, _ w: Int) -> UInt64 {
            symbol < 0 ? 0 : masks[Int(symbol) * words + w]
        }
    }

    /// The distance between the loaded pattern and `text`.
    public static func distance<C: Collection>(_ pattern: PatternMasks, _ text: C) -> Int where C.Element == Int32 {
        let m = pattern.length
        guard m > 0 else { return text.count }
        let words = pattern.words
        var vp = [UInt64](repeating: ~0, count: words), vn = [UInt64](repeating: 0, count: words)
        let lastBit = UInt64((m - 1) & 63)
        var score = m
        for symbol in text {
            var hpCarry: UInt64 = 1, hnCarry: UInt64 = 0
            for w in 0..<words {
                let x = pattern.mask(symbol, w) | hnCarry
                let v = vp[w], n = vn[w]
                let d0 = (((x & v) &+ v) ^ v) | x | n
                var hp = n | ~(d0 | v)
                var hn = d0 & v
                let outHp: UInt64, outHn: UInt64
                if w < words - 1 {
                    outHp = hp >> 63; outHn = hn >> 63
                } else {
                    outHp = (hp >> lastBit) & 1; outHn = (hn >> lastBit) & 1
                }
                hp = (hp << 1) | hpCarry
                hn = (hn << 1) | hnCarry
                vp[w] = hn | ~(d0 | hp)
                vn[w] = hp & d0
                hpCarry = outHp; hnCarry = outHn
            }
            score += Int(hpCarry) - Int(hnCarry)
        }
        return score
    }

    /// The distance between two sequences.
    public static func distance<A: Collection, B: Collection>(_ a: A, _ b: B) -> Int where A.Element == Int32, B.Element == Int32 {
        let symbols = Int(max(a.max() ?? 0, b.max() ?? 0)) + 1
        let masks = PatternMasks(symbols: max(1, symbols))
        masks.load(a)
        return distance(masks, b)
    }
}
