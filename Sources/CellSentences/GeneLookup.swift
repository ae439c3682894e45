import Foundation
import Mechanics

/// Finds the vocabulary index of a word given as raw bytes, without creating Strings:
/// an open-addressing hash table over the UTF-8 names. Matching is exact first, then
/// case-insensitive (ASCII upper-casing), so `cd3e` finds `CD3E`; a case-insensitive key
/// shared by two vocabulary names is ambiguous and matches neither.
public struct GeneLookup: @unchecked Sendable {
    private let exact: HashSlots
    private let folded: HashSlots
    public let count: Int

    public init(_ vocabulary: [String]) {
        let names = vocabulary.map { Array($0.utf8) }
        count = names.count
        exact = HashSlots(keys: names, ambiguousDuplicates: false)
        folded = HashSlots(keys: names.map { $0.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 } }, ambiguousDuplicates: true)
    }

    /// Bytes that must be readable after the end of any word passed to `index(of:)`: the
    /// lookup reads words eight bytes at a time.
    public static let padding = 8

    /// The index of `word`, or nil. At least `padding` bytes after the word must be readable.
    @inline(__always)
    public func index(of word: UnsafeBufferPointer<UInt8>) -> Int? {
        guard word.count > 0 else { return nil }
        if let i = exact.find(word, fold: false) { return i }
        return folded.find(word, fold: true)
    }

    public func index(of word: String) -> Int? {
        let padded = Array(word.utf8) + [UInt8](repeating: 0, count: Self.padding)
        return padded.withUnsafeBufferPointer { index(of: UnsafeBufferPointer(rebasing: $0[0..<(padded.count - Self.padding)])) }
    }
}

/// Open addressing with linear probing over 16-byte slots: the key's first eight bytes, then
/// 32 bits of its hash, its length (8 bits) and its index + 1 (24 bits; 0 = empty). A key of
/// at most eight bytes is matched from its slot alone, so a lookup usually costs one cache
/// miss; longer keys compare the rest against the packed key bytes. Read-only after
/// construction, so it may be shared between threads.
private final class HashSlots: @unchecked Sendable {
    let bytes: UnsafeMutablePointer<UInt8>
    let offsets: UnsafeMutablePointer<Int>
    let slots: UnsafeMutablePointer<UInt64>  // 2 per slot: prefix, meta
    let ambiguous: Set<Int>
    let mask: Int

    init(keys: [[UInt8]], ambiguousDuplicates: Bool) {
        precondition(keys.count < 1 << 24, "vocabulary too large for the lookup table")
        let total = keys.reduce(0) { $0 + $1.count }
        bytes = .allocate(capacity: total + 8)
        offsets = .allocate(capacity: keys.count + 1)
        var at = 0
        for (i, k) in keys.enumerated() {
            offsets[i] = at
            for b in k { bytes[at] = b; at += 1 }
        }
        offsets[keys.count] = at
        (bytes + total).initialize(repeating: 0, count: 8)
        var size = 16
        while size < keys.count * 2 { size <<= 1 }
        slots = .allocate(capacity: 2 * size)
        slots.initialize(repeating: 0, count: 2 * size)
        mask = size - 1
        var ambiguous = Set<Int>()
        for (i, k) in keys.enumerated() where !k.isEmpty && k.count < 256 {
            let padded = k + [UInt8](repeating: 0, count: 8)
            let (h, prefix) = padded.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[0..<k.count]), fold: false) }
            var s = Int(truncatingIfNeeded: h) & mask
            var duplicate = false
            while slots[2 * s + 1] != 0 {
                let other = Int(slots[2 * s + 1] & 0xFF_FFFF) - 1
                if keys[other] == k { duplicate = true; if ambiguousDuplicates { ambiguous.insert(other) }; break }
                s = (s + 1) & mask
            }
            if duplicate { continue }  // the first occurrence wins (or is marked ambiguous)
            slots[2 * s] = prefix
            slots[2 * s + 1] = (h >> 32) << 32 | UInt64(k.count) << 24 | UInt64(i + 1)
        }
        self.ambiguous = ambiguous
    }

    deinit {
        bytes.deallocate()
        offsets.deallocate()
        slots.deallocate()
    }

    @inline(__always)
    func find(_ word: UnsafeBufferPointer<UInt8>, fold: Bool) -> Int? {
        guard word.count < 256 else { return nil }
        let (h, prefix) = Self.hash(word, fold: fold)
        let expected = (h >> 32) << 32 | UInt64(word.count) << 24
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let meta = slots[2 * s + 1]
            if meta == 0 { return nil }
            if meta & ~0xFF_FFFF == expected && slots[2 * s] == prefix {
                let k = Int(meta & 0xFF_FFFF) - 1
                if word.count <= 8 || Self.equal(bytes + offsets[k] + 8, UnsafeBufferPointer(rebasing: word[8...]), fold: fold) {
                    return ambiguous.isEmpty || !ambiguous.contains(k) ? k : nil
                }
            }
            s = (s + 1) & mask
        }
    }

    @inline(__always)
    static func tailMask(_ n: Int) -> UInt64 { n >= 8 ? ~0 : (1 << UInt64(n * 8)) &- 1 }

    /// Compares eight bytes at a time; both sides have 8 readable bytes of padding.
    @inline(__always)
    static func equal(_ key: UnsafePointer<UInt8>, _ word: UnsafeBufferPointer<UInt8>, fold: Bool) -> Bool {
        let k = UnsafeRawPointer(key), w = UnsafeRawPointer(word.baseAddress!)
        var i = 0
        while i < word.count {
            let mask = tailMask(word.count - i)
            var a = w.loadUnaligned(fromByteOffset: i, as: UInt64.self) & mask
            if fold { a = foldWord(a) }
            if a != k.loadUnaligned(fromByteOffset: i, as: UInt64.self) & mask { return false }
            i += 8
        }
        return true
    }

    /// A multiply-xorshift hash over 8-byte chunks (upper-cased when `fold`), finished with
    /// SplitMix64's avalanche so that the slot bits depend on every byte; also returns the
    /// first eight bytes (zero-padded, folded when `fold`).
    @inline(__always)
    static func hash(_ b: UnsafeBufferPointer<UInt8>, fold: Bool) -> (UInt64, UInt64) {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(b.count)
        var i = 0
        var prefix: UInt64 = 0
        let raw = UnsafeRawPointer(b.baseAddress!)
        while i < b.count {
            // Callers guarantee 8 readable bytes past every word (see `GeneLookup.padding`),
            // so the tail is one load with the bytes past the word masked off.
            var w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & tailMask(b.count - i)
            if fold { w = foldWord(w) }
            if i == 0 { prefix = w }
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        return (SplitMix64.mix(h), prefix)
    }

    /// ASCII upper-casing of eight bytes at once (SWAR): bytes in 'a'...'z' lose 0x20.
    @inline(__always)
    static func foldWord(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        let heptets = w & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastA = heptets &+ ones &* 0x1F   // high bit set where byte >= 'a'
        let aboveZ = heptets &+ ones &* 0x05     // high bit set where byte > 'z'
        let lower = atLeastA & ~aboveZ & ~w & high
        return w &- (lower >> 2)
    }
}
