import Foundation

/// Hash tables specialised for the tokenizer: byte strings to ids (the vocabulary), id pairs to
/// merges, and a bounded cache of tokenized words. Keys are UTF-8 bytes, never `String`s: Swift
/// compares strings by canonical equivalence, so "é" and "e\u{301}" would collide, while they are
/// different tokens. Open addressing with linear probing over flat arrays keeps lookups free of
/// allocation and retain/release traffic.

/// A fast 64-bit hash of a byte string (8 bytes at a time, multiply-xorshift mixing).
@inline(__always)
func hashBytes(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
    let n = p.count
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
    guard let base = p.baseAddress else { return h }
    let raw = UnsafeRawPointer(base)
    var i = 0
    while i + 8 <= n {
        let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 32
        i += 8
    }
    if i < n {
        var w: UInt64 = 0
        var shift: UInt64 = 0
        while i < n { w |= UInt64(p[i]) << shift; shift += 8; i += 1 }
        h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 32
    }
    h ^= h >> 29
    h = h &* 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 32
    return h
}

@inline(__always)
private func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    guard let pa = a.baseAddress, let pb = b.baseAddress else { return false }
    return memcmp(pa, pb, a.count) == 0
}

/// An immutable-after-building map from byte strings to `Int32` (token ids).
struct ByteTable: Sendable {
    private var arena: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var hashes: [UInt64] = []
    private(set) var values: [Int32] = []
    private var slots: [Int32]
    private var mask: Int

    init(expectedCount: Int) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        arena.reserveCapacity(expectedCount * 6)
        starts.reserveCapacity(expectedCount); lengths.reserveCapacity(expectedCount)
        hashes.reserveCapacity(expectedCount); values.reserveCapacity(expectedCount)
    }

    var count: Int { values.count }

    /// Inserts or replaces (a repeated key keeps the last value, as a JSON object read into a map does).
    mutating func set(_ key: [UInt8], _ value: Int32) {
        if (count + 1) * 2 > slots.count { grow() }
        key.withUnsafeBufferPointer { k in
            let h = hashBytes(k)
            var s = Int(truncatingIfNeeded: h) & mask
            while true {
                let e = Int(slots[s])
                if e < 0 { break }
                if hashes[e] == h, keyEquals(e, k) { values[e] = value; return }
                s = (s + 1) & mask
            }
            slots[s] = Int32(values.count)
            starts.append(Int32(arena.count)); lengths.append(Int32(k.count))
            arena.append(contentsOf: k); hashes.append(h); values.append(value)
        }
    }

    private func keyEquals(_ e: Int, _ k: UnsafeBufferPointer<UInt8>) -> Bool {
        arena.withUnsafeBufferPointer { a in
            bytesEqual(UnsafeBufferPointer(rebasing: a[Int(starts[e])..<Int(starts[e] + lengths[e])]), k)
        }
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        for e in 0..<hashes.count {
            var s = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(e)
        }
    }

    @inline(__always)
    func get(_ k: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = hashBytes(k)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { return nil }
            if hashes[e] == h, keyEquals(e, k) { return values[e] }
            s = (s + 1) & mask
        }
    }

    func get(_ key: [UInt8]) -> Int32? { key.withUnsafeBufferPointer { get($0) } }
    func get(_ key: ArraySlice<UInt8>) -> Int32? { key.withUnsafeBufferPointer { get($0) } }

    /// Every (key, value), in insertion order.
    func forEach(_ body: ([UInt8], Int32) -> Void) {
        for e in 0..<values.count { body(Array(arena[Int(starts[e])..<Int(starts[e] + lengths[e])]), values[e]) }
    }
}

/// Ranked merges: the pair of token ids `(left, right)`, packed into a `UInt64`, maps to the
/// merge's rank (its line in `merges`) and the id of the merged token.
struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var ranks: [Int32]
    private var results: [Int32]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(expectedCount: Int) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: MergeTable.empty, count: capacity)
        ranks = [Int32](repeating: 0, count: capacity)
        results = [Int32](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask }

    /// Adds or replaces a merge (a repeated pair keeps the last rank, as `tokenizers` does).
    mutating func set(_ left: Int32, _ right: Int32, rank: Int32, result: Int32) {
        if (count + 1) * 2 > keys.count { grow() }
        let k = MergeTable.key(left, right)
        var s = slot(k)
        while keys[s] != MergeTable.empty && keys[s] != k { s = (s + 1) & mask }
        if keys[s] == MergeTable.empty { count += 1 }
        keys[s] = k; ranks[s] = rank; results[s] = result
    }

    private mutating func grow() {
        let oldKeys = keys, oldRanks = ranks, oldResults = results
        let capacity = keys.count * 2
        keys = [UInt64](repeating: MergeTable.empty, count: capacity)
        ranks = [Int32](repeating: 0, count: capacity)
        results = [Int32](repeating: 0, count: capacity)
        mask = capacity - 1
        for i in 0..<oldKeys.count where oldKeys[i] != MergeTable.empty {
            var s = slot(oldKeys[i])
            while keys[s] != MergeTable.empty { s = (s + 1) & mask }
            keys[s] = oldKeys[i]; ranks[s] = oldRanks[i]; results[s] = oldResults[i]
        }
    }

    /// The rank and merged id for a pair, or nil when the pair is not a merge.
    @inline(__always)
    func get(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        let k = MergeTable.key(left, right)
        var s = slot(k)
        while true {
            let stored = keys[s]
            if stored == k { return (ranks[s], results[s]) }
            if stored == MergeTable.empty { return nil }
            s = (s + 1) & mask
        }
    }
}

/// A bounded cache from a pre-tokenized word (bytes) to its token ids. When it reaches its
/// limit it is emptied and refills with the words now in use, which keeps memory bounded in a
/// long-running process while C2S text (a few tens of thousands of distinct gene words) stays
/// cached. One instance is used by one thread at a time (see `EncodeScratch`).
struct WordCache {
    private var arena: [UInt8] = []
    private var ids: [Int32] = []
    private var keyStart: [Int32] = [], keyLength: [Int32] = []
    private var idStart: [Int32] = [], idCount: [Int32] = []
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private let mask: Int
    let maxEntries: Int
    /// Words longer than this are not cached (long runs are rare and would crowd the arena).
    static let maxWordBytes = 256

    init(maxEntries: Int) {
        self.maxEntries = max(16, maxEntries)
        var capacity = 16
        while capacity < self.maxEntries * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
    }

    private mutating func clear() {
        arena.removeAll(keepingCapacity: true); ids.removeAll(keepingCapacity: true)
        keyStart.removeAll(keepingCapacity: true); keyLength.removeAll(keepingCapacity: true)
        idStart.removeAll(keepingCapacity: true); idCount.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        for i in 0..<slots.count { slots[i] = -1 }
    }

    /// Appends the cached ids of `word` to `out` and returns true, or returns false on a miss.
    @inline(__always)
    func lookup(_ word: UnsafeBufferPointer<UInt8>, hash h: UInt64, into out: inout [Int32]) -> Bool {
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { return false }
            if hashes[e] == h {
                let same = arena.withUnsafeBufferPointer { a in
                    bytesEqual(UnsafeBufferPointer(rebasing: a[Int(keyStart[e])..<Int(keyStart[e] + keyLength[e])]), word)
                }
                if same {
                    let a = Int(idStart[e])
                    out.append(contentsOf: ids[a..<a + Int(idCount[e])])
                    return true
                }
            }
            s = (s + 1) & mask
        }
    }

    mutating func insert(_ word: UnsafeBufferPointer<UInt8>, hash h: UInt64, ids newIDs: ArraySlice<Int32>) {
        guard word.count <= WordCache.maxWordBytes else { return }
        if hashes.count >= maxEntries { clear() }
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(hashes.count)
        hashes.append(h)
        keyStart.append(Int32(arena.count)); keyLength.append(Int32(word.count))
        arena.append(contentsOf: word)
        idStart.append(Int32(ids.count)); idCount.append(Int32(newIDs.count))
        ids.append(contentsOf: newIDs)
    }
}
