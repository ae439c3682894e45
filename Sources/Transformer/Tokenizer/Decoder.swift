import Mechanics

/// The `decoder` of `tokenizer.json`: turns token strings back into text. Each step maps the
/// list of token strings to a new list (`decode_chain` in `tokenizers`); the results are joined.
/// Tokens are UTF-8 bytes so that no step compares strings by canonical equivalence.
indirect enum Decoder: Sendable {
    case byteLevel
    case replace(pattern: [UInt8], content: [UInt8])
    case byteFallback
    case fuse
    case strip(content: UInt32, start: Int, stop: Int)
    case metaspace(replacement: UInt32, prependScheme: PreTokenizer.PrependScheme)
    case bpe(suffix: [UInt8])
    case sequence([Decoder])

    static let supported = ["ByteLevel", "Replace (String pattern)", "ByteFallback", "Fuse", "Strip", "Metaspace", "BPEDecoder", "Sequence"]

    private static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    func decodeChain(_ tokens: [[UInt8]]) -> [[UInt8]] {
        switch self {
        case .sequence(let steps):
            var tokens = tokens
            for step in steps { tokens = step.decodeChain(tokens) }
            return tokens
        case .byteLevel:
            // Every token whose characters all come from the byte table becomes those bytes;
            // any other token (an added token such as "  ") is kept as it is. The result is
            // read as UTF-8 with invalid sequences replaced (Rust's `from_utf8_lossy`).
            var bytes: [UInt8] = []
            for token in tokens {
                let start = bytes.count
                var mapped = true
                for scalar in String(decoding: token, as: UTF8.self).unicodeScalars {
                    let v = Int(scalar.value)
                    guard v < ByteUnicode.byteForScalar.count, ByteUnicode.byteForScalar[v] >= 0 else { mapped = false; break }
                    bytes.append(UInt8(ByteUnicode.byteForScalar[v]))
                }
                if !mapped {
                    bytes.removeSubrange(start...)
                    bytes.append(contentsOf: token)
                }
            }
            return [Array(String(decoding: bytes, as: UTF8.self).utf8)]
        case .replace(let pattern, let content):
            return tokens.map { token in
                var out: [UInt8] = []
                forEachLiteralMatch(pattern, in: token) { r, isMatch in out.append(contentsOf: isMatch ? content[...] : token[r]) }
                return out
            }
        case .byteFallback:
            // Runs of <0xNN> tokens become their bytes when those are valid UTF-8, else one U+FFFD
            // per byte (not per invalid sequence), as `tokenizers` does.
            var out: [[UInt8]] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if String(validating: pending, as: UTF8.self) != nil {
                    out.append(pending)
                } else {
                    for _ in pending { out.append(Decoder.replacementCharacter) }
                }
                pending.removeAll()
            }
            for token in tokens {
                if let byte = Decoder.byteTokenValue(token) {
                    pending.append(byte)
                } else {
                    flush()
                    out.append(token)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.flatMap { $0 }]
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                let scalars = Array(String(decoding: token, as: UTF8.self).unicodeScalars)
                var startCut = 0
                for (i, c) in scalars.prefix(start).enumerated() {
                    guard c.value == content else { break }
                    startCut = i + 1
                }
                var stopCut = scalars.count
                for i in 0..<min(stop, scalars.count) {
                    let index = scalars.count - i - 1
                    guard scalars[index].value == content else { break }
                    stopCut = index
                }
                guard startCut < stopCut else { return [] }
                var out: [UInt8] = []
                for c in scalars[startCut..<stopCut] { appendUTF8(c.value, to: &out) }
                return out
            }
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { i, token in
                var out: [UInt8] = []
                for c in String(decoding: token, as: UTF8.self).unicodeScalars {
                    if c.value == replacement {
                        if i == 0 && scheme != .never { continue }
                        out.append(0x20)
                    } else {
                        appendUTF8(c.value, to: &out)
                    }
                }
                return out
            }
        case .bpe(let suffix):
            let last = tokens.count - 1
            return tokens.enumerated().map { i, token in
                var out: [UInt8] = []
                forEachLiteralMatch(suffix, in: token) { r, isMatch in
                    if isMatch { if i != last { out.append(0x20) } } else { out.append(contentsOf: token[r]) }
                }
                return out
            }
        }
    }

    /// The byte of a `<0xNN>` token (exactly six bytes; hex digits parsed like Rust's
    /// `u8::from_str_radix`, which also accepts a leading '+').
    static func byteTokenValue(_ token: [UInt8]) -> UInt8? {
        guard token.count == 6, token[0] == UInt8(ascii: "<"), token[1] == UInt8(ascii: "0"), token[2] == UInt8(ascii: "x"),
              token[5] == UInt8(ascii: ">") else { return nil }
        let hex = JSONText.hexDigit
        if token[3] == UInt8(ascii: "+") { return hex(token[4]) }
        guard let hi = hex(token[3]), let lo = hex(token[4]) else { return nil }
        return hi << 4 | lo
    }
}
