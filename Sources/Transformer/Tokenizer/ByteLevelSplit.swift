/// The GPT-2 pre-tokenization regex, written out by hand:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// Every character belongs to exactly one of letter / number / whitespace / other, so the matches
/// cover the text and the "Isolated" split is the list of matches. Alternatives are tried in
/// order at each position (first match wins, as in Oniguruma), which the branches below follow.
enum ByteLevelSplit {
    private static let letter = 0, number = 1, whitespace = 2, other = 3

    @inline(__always)
    private static func kind(_ v: UInt32) -> Int {
        let c = CharClass.of(v)
        if c & CharClass.letter != 0 { return letter }
        if c & CharClass.number != 0 { return number }
        if c & CharClass.whitespace != 0 { return whitespace }
        return other
    }

    /// Calls `body` with each match, as a range of offsets into `p`.
    static func forEachMatch(_ p: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let n = p.count
        var i = 0
        while i < n {
            let (c, length) = decodeScalar(p, i)
            // 's 't 'm 'd 're 've 'll (lowercase only, as the pattern is case-sensitive)
            if c == 0x27, i + 1 < n {
                let c1 = p[i + 1]
                if c1 == UInt8(ascii: "s") || c1 == UInt8(ascii: "t") || c1 == UInt8(ascii: "m") || c1 == UInt8(ascii: "d") {
                    body(i..<(i + 2)); i += 2; continue
                }
                if i + 2 < n {
                    let c2 = p[i + 2]
                    if (c1 == UInt8(ascii: "r") && c2 == UInt8(ascii: "e")) || (c1 == UInt8(ascii: "v") && c2 == UInt8(ascii: "e"))
                        || (c1 == UInt8(ascii: "l") && c2 == UInt8(ascii: "l")) {
                        body(i..<(i + 3)); i += 3; continue
                    }
                }
            }
            // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+'
            var runKind = kind(c)
            var runStart = i + length
            if c == 0x20, runStart < n {
                let k = kind(decodeScalar(p, runStart).value)
                if k != whitespace { runKind = k }
            }
            if runKind != whitespace {
                var j = runStart
                if c == 0x20 { j = i + 1 }
                while j < n {
                    let (v, l) = decodeScalar(p, j)
                    guard kind(v) == runKind else { break }
                    j += l
                }
                body(i..<j); i = j; continue
            }
            // '\s+(?!\S)' then '\s+': a whitespace run; when a non-space follows, the run gives
            // up its last character (which then leads the next match), unless it has only one.
            var lastStart = i
            runStart = i + length
            while runStart < n {
                let (v, l) = decodeScalar(p, runStart)
                guard kind(v) == whitespace else { break }
                lastStart = runStart
                runStart += l
            }
            if runStart < n && lastStart > i {
                body(i..<lastStart); i = lastStart
            } else {
                body(i..<runStart); i = runStart
            }
        }
    }
}
