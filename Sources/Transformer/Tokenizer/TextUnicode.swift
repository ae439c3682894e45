/// Unicode helpers over UTF-8 bytes. The tokenizer's hot paths work on bytes and unicode scalars,
/// never on Swift `Character`s (grapheme clusters): `tokenizers` is defined on Rust `char`s, which
/// are scalars, and `String` comparison would also treat NFC and NFD spellings as equal, which a
/// tokenizer must not.

/// Decodes the scalar that starts at `i` in valid UTF-8 and returns it with its length in bytes.
/// Input here always comes from a Swift `String` or from our own transformations of one, so it
/// is valid; a stray continuation byte is still handled (as U+FFFD, one byte) instead of trapping.
@inline(__always)
func decodeScalar(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (value: UInt32, length: Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    let n = p.count
    if b0 >= 0xF0, i + 3 < n {
        return (((b0 & 0x07) << 18) | ((UInt32(p[i + 1]) & 0x3F) << 12) | ((UInt32(p[i + 2]) & 0x3F) << 6) | (UInt32(p[i + 3]) & 0x3F), 4)
    }
    if b0 >= 0xE0, i + 2 < n {
        return (((b0 & 0x0F) << 12) | ((UInt32(p[i + 1]) & 0x3F) << 6) | (UInt32(p[i + 2]) & 0x3F), 3)
    }
    if b0 >= 0xC0, i + 1 < n {
        return (((b0 & 0x1F) << 6) | (UInt32(p[i + 1]) & 0x3F), 2)
    }
    return (0xFFFD, 1)
}

/// Appends the UTF-8 encoding of scalar value `v`.
@inline(__always)
func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
    if v < 0x80 {
        out.append(UInt8(v))
    } else if v < 0x800 {
        out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
    } else if v < 0x10000 {
        out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
    } else {
        out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
    }
}

/// Character classes used by the pre-tokenizers and the added-token rules, with an ASCII table
/// in front of the (slower) Unicode property lookups.
enum CharClass {
    static let letter: UInt8 = 1, number: UInt8 = 2, whitespace: UInt8 = 4, word: UInt8 = 8

    /// Bits for the 128 ASCII scalars.
    static let ascii: [UInt8] = (0..<128).map { classify(UInt32($0)) }

    @inline(__always)
    static func of(_ v: UInt32) -> UInt8 { v < 128 ? ascii[Int(v)] : classify(v) }

    /// `\p{L}` (general category L*), `\p{N}` (N*), `\s` (White_Space, as in Rust and Oniguruma)
    /// and `\w` (Rust regex: Alphabetic, marks, Nd, Pc, Join_Control).
    static func classify(_ v: UInt32) -> UInt8 {
        guard let s = Unicode.Scalar(v) else { return 0 }
        let p = s.properties
        var bits: UInt8 = 0
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: bits |= letter
        case .decimalNumber, .letterNumber, .otherNumber: bits |= number
        default: break
        }
        if p.isWhitespace { bits |= whitespace }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: bits |= word
        default: break
        }
        if p.isAlphabetic || p.isJoinControl { bits |= word }
        return bits
    }
}

/// GPT-2's reversible byte-to-unicode table: printable bytes map to themselves, the others to
/// U+0100 and up, so that every byte string is a printable unicode string without spaces.
enum ByteUnicode {
    /// Scalar for each byte.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = 256 + n
                n += 1
            }
        }
        return table
    }()

    /// UTF-8 of each byte's scalar.
    static let utf8ForByte: [[UInt8]] = scalarForByte.map { v in var out: [UInt8] = []; appendUTF8(v, to: &out); return out }

    /// Byte for each scalar below 0x144 (the largest mapped scalar is 0x143), -1 when unmapped.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for b in 0..<256 { table[Int(scalarForByte[b])] = Int16(b) }
        return table
    }()

    /// Maps raw bytes to the UTF-8 of their byte-level characters.
    static func encode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(contentsOf: utf8ForByte[Int(b)]) }
        return out
    }
}
