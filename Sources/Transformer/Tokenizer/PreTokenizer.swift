/// The `pre_tokenizer` of `tokenizer.json`: splits normalized text into the words that the model
/// tokenizes one by one.
indirect enum PreTokenizer: Sendable {
    /// GPT-2's: optional leading space, the GPT-2 regex split, bytes mapped to characters.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Split` with a string pattern.
    case split(pattern: [UInt8], behavior: SplitBehavior, invert: Bool)
    /// SentencePiece style: spaces become `replacement`, which is also prepended per `scheme`.
    case metaspace(replacement: [UInt8], scheme: PrependScheme, split: Bool)
    /// `\w+|[^\w\s]+`, whitespace dropped.
    case whitespace
    /// Split on whitespace, which is dropped.
    case whitespaceSplit
    case sequence([PreTokenizer])

    enum PrependScheme: String, Sendable { case always, first, never }

    static let supported = ["ByteLevel", "Split (String pattern)", "Metaspace", "Whitespace", "WhitespaceSplit", "Sequence"]

    /// Calls `body` with each word of `piece`, in order; empty words are never produced.
    func forEachWord(_ piece: Piece, _ body: (Piece) -> Void) {
        switch self {
        case .sequence(let steps):
            Self.run(steps[...], piece, body)
        case .byteLevel(let addPrefixSpace, let useRegex):
            var piece = piece.materialized()
            if addPrefixSpace && piece.bytes.first != 0x20 {
                var bytes: [UInt8] = [0x20]
                bytes.append(contentsOf: piece.bytes)
                piece.bytes = bytes[...]
            }
            piece.byteLevel = true
            guard useRegex else { body(piece); return }
            let base = piece.bytes.startIndex
            piece.bytes.withUnsafeBufferPointer { p in
                ByteLevelSplit.forEachMatch(p) { r in body(piece.sub((base + r.lowerBound)..<(base + r.upperBound))) }
            }
        case .split(let pattern, let behavior, let invert):
            let piece = piece.materialized()
            var segments: [(range: Range<Int>, isMatch: Bool)] = []
            forEachLiteralMatch(pattern, in: piece.bytes) { r, isMatch in segments.append((r, isMatch != invert)) }
            for r in behavior.apply(segments) where !r.isEmpty { body(piece.sub(r)) }
        case .metaspace(let replacement, let scheme, let split):
            let piece = piece.materialized()
            var bytes: [UInt8] = []
            bytes.reserveCapacity(piece.bytes.count + 8)
            for b in piece.bytes {
                if b == 0x20 { bytes.append(contentsOf: replacement) } else { bytes.append(b) }
            }
            let startsWithReplacement = bytes.starts(with: replacement)
            switch scheme {
            case .always where !startsWithReplacement, .first where !startsWithReplacement && piece.atOrigin:
                bytes.insert(contentsOf: replacement, at: 0)
            default: break
            }
            let whole = Piece(bytes: bytes[...], atOrigin: piece.atOrigin, byteLevel: false)
            guard split else { body(whole); return }
            var segments: [(range: Range<Int>, isMatch: Bool)] = []
            forEachLiteralMatch(replacement, in: whole.bytes) { r, isMatch in segments.append((r, isMatch)) }
            for r in SplitBehavior.mergedWithNext.apply(segments) where !r.isEmpty { body(whole.sub(r)) }
        case .whitespace:
            let piece = piece.materialized()
            let base = piece.bytes.startIndex
            piece.bytes.withUnsafeBufferPointer { p in
                var i = 0
                while i < p.count {
                    let (v, length) = decodeScalar(p, i)
                    let c = CharClass.of(v)
                    if c & CharClass.word == 0 && c & CharClass.whitespace != 0 { i += length; continue }
                    let isWord = c & CharClass.word != 0
                    var j = i + length
                    while j < p.count {
                        let (w, l) = decodeScalar(p, j)
                        let d = CharClass.of(w)
                        let same = isWord ? d & CharClass.word != 0 : (d & CharClass.word == 0 && d & CharClass.whitespace == 0)
                        guard same else { break }
                        j += l
                    }
                    body(piece.sub((base + i)..<(base + min(j, p.count))))
                    i = j
                }
            }
        case .whitespaceSplit:
            let piece = piece.materialized()
            let base = piece.bytes.startIndex
            piece.bytes.withUnsafeBufferPointer { p in
                var i = 0, wordStart = 0
                while i < p.count {
                    let (v, length) = decodeScalar(p, i)
                    if CharClass.of(v) & CharClass.whitespace != 0 {
                        if wordStart < i { body(piece.sub((base + wordStart)..<(base + i))) }
                        wordStart = min(i + length, p.count)
                    }
                    i += length
                }
                if wordStart < p.count { body(piece.sub((base + wordStart)..<(base + p.count))) }
            }
        }
    }

    /// Runs the first step on `piece` and the remaining steps on each of its words.
    private static func run(_ steps: ArraySlice<PreTokenizer>, _ piece: Piece, _ body: (Piece) -> Void) {
        guard let first = steps.first else { body(piece); return }
        let rest = steps.dropFirst()
        first.forEachWord(piece) { word in run(rest, word, body) }
    }
}
