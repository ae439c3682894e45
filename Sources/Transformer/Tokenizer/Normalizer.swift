import Foundation

/// The `normalizer` of `tokenizer.json`, applied to each stretch of text between added tokens.
indirect enum Normalizer: Sendable {
    case nfc, nfd, nfkc, nfkd
    case lowercase
    case strip(left: Bool, right: Bool)
    /// `Replace` with a string pattern (regex patterns are not supported).
    case replace(pattern: [UInt8], content: [UInt8])
    case prepend([UInt8])
    case byteLevel
    case sequence([Normalizer])

    static let supported = ["NFC", "NFD", "NFKC", "NFKD", "Lowercase", "Strip", "Replace (String pattern)", "Prepend", "ByteLevel", "Sequence"]

    /// Normalizes `text` in place. `atOrigin` tracks whether the text still starts at the first
    /// byte of the original input (only the Metaspace pre-tokenizer's `prepend_scheme: first`
    /// asks): removing leading characters moves the start away from it.
    func apply(_ text: inout [UInt8], atOrigin: inout Bool) {
        switch self {
        case .nfc, .nfd, .nfkc, .nfkd:
            // All four forms leave ASCII unchanged; skip the String round trip for it.
            guard text.contains(where: { $0 >= 0x80 }) else { return }
            let s = String(decoding: text, as: UTF8.self)
            let out: String
            switch self {
            case .nfc: out = s.precomposedStringWithCanonicalMapping
            case .nfd: out = s.decomposedStringWithCanonicalMapping
            case .nfkc: out = s.precomposedStringWithCompatibilityMapping
            default: out = s.decomposedStringWithCompatibilityMapping
            }
            text = Array(out.utf8)
        case .lowercase:
            if !text.contains(where: { $0 >= 0x80 }) {
                for i in text.indices where text[i] >= 0x41 && text[i] <= 0x5A { text[i] |= 0x20 }
                return
            }
            // Per scalar, full mappings, no context (Rust's `char::to_lowercase`).
            var out: [UInt8] = []
            out.reserveCapacity(text.count)
            for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
                for l in scalar.properties.lowercaseMapping.unicodeScalars { appendUTF8(l.value, to: &out) }
            }
            text = out
        case .strip(let left, let right):
            text.withUnsafeBufferPointer { p in
                var start = 0, end = p.count
                if left {
                    while start < end {
                        let (v, length) = decodeScalar(p, start)
                        guard CharClass.of(v) & CharClass.whitespace != 0 else { break }
                        start += length
                    }
                }
                if right {
                    while end > start {
                        var c = end - 1
                        while c > start && p[c] & 0xC0 == 0x80 { c -= 1 }
                        guard CharClass.of(decodeScalar(p, c).value) & CharClass.whitespace != 0 else { break }
                        end = c
                    }
                }
                if start > 0 { atOrigin = false }
                if start > 0 || end < p.count { text = Array(p[start..<end]) }
            }
        case .replace(let pattern, let content):
            var out: [UInt8] = []
            var changed = false
            forEachLiteralMatch(pattern, in: text) { segment, isMatch in
                if isMatch {
                    if segment.lowerBound == 0 && content.isEmpty { atOrigin = false }
                    out.append(contentsOf: content)
                    changed = true
                } else {
                    out.append(contentsOf: text[segment])
                }
            }
            if changed { text = out }
        case .prepend(let prefix):
            if !text.isEmpty { text.insert(contentsOf: prefix, at: 0) }
        case .byteLevel:
            text = ByteUnicode.encode(text[...])
        case .sequence(let steps):
            for step in steps { step.apply(&text, atOrigin: &atOrigin) }
        }
    }
}

/// Calls `body` for consecutive segments of `text` (as offsets into it): non-overlapping,
/// left-to-right occurrences of the non-empty `pattern` (isMatch true) and the text between
/// them (false). This is what a regex of an escaped literal finds.
func forEachLiteralMatch<C: RandomAccessCollection>(_ pattern: [UInt8], in text: C, _ body: (Range<Int>, Bool) -> Void)
where C.Element == UInt8, C.Index == Int {
    let n = text.endIndex, m = pattern.count
    var gapStart = text.startIndex
    var i = text.startIndex
    guard m > 0, let first = pattern.first else {
        if gapStart < n { body(gapStart..<n, false) }
        return
    }
    while i + m <= n {
        if text[i] == first {
            var k = 1
            while k < m && text[i + k] == pattern[k] { k += 1 }
            if k == m {
                if gapStart < i { body(gapStart..<i, false) }
                body(i..<(i + m), true)
                i += m
                gapStart = i
                continue
            }
        }
        i += 1
    }
    if gapStart < n { body(gapStart..<n, false) }
}
