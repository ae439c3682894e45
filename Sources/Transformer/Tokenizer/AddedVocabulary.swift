/// One entry of `added_tokens` in `tokenizer.json`.
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int32
    public var special: Bool
    /// Matched in the normalized text (true) or in the raw text before normalization (false).
    public var normalized: Bool
    public var lstrip: Bool
    public var rstrip: Bool
    public var singleWord: Bool
}

/// Finds added tokens in text the way `AddedVocabulary::find_matches` of `tokenizers` does:
/// leftmost-longest matches over the token patterns (a byte trie), then the `single_word`,
/// `lstrip` and `rstrip` rules of each matched token.
struct AddedTokenMatcher: Sendable {
    private struct Pattern: Sendable { let id: Int32; let singleWord: Bool; let lstrip: Bool; let rstrip: Bool }

    // A byte trie in flat arrays: node n's children are edges[childStart[n] ..< childStart[n] + childCount[n]],
    // sorted by byte; terminal[n] is the pattern ending at n, or -1.
    private var childStart: [Int32] = []
    private var childCount: [Int32] = []
    private var edgeByte: [UInt8] = []
    private var edgeTarget: [Int32] = []
    private var terminal: [Int32] = []
    private var patterns: [Pattern] = []
    private var firstBytes = [Bool](repeating: false, count: 256)

    var isEmpty: Bool { patterns.isEmpty }

    /// `entries`: the bytes to look for (the content, or its normalized form) and the token.
    init(_ entries: [(bytes: [UInt8], token: AddedToken)]) {
        var children: [[UInt8: Int32]] = [[:]]
        var terminals: [Int32] = [-1]
        for entry in entries where !entry.bytes.isEmpty {
            var node = 0
            for b in entry.bytes {
                if let next = children[node][b] {
                    node = Int(next)
                } else {
                    children.append([:]); terminals.append(-1)
                    children[node][b] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            // A repeated pattern keeps the later token.
            terminals[node] = Int32(patterns.count)
            patterns.append(Pattern(id: entry.token.id, singleWord: entry.token.singleWord,
                                    lstrip: entry.token.lstrip, rstrip: entry.token.rstrip))
            firstBytes[Int(entry.bytes[0])] = true
        }
        for node in children {
            childStart.append(Int32(edgeByte.count))
            childCount.append(Int32(node.count))
            for (b, t) in node.sorted(by: { $0.key < $1.key }) { edgeByte.append(b); edgeTarget.append(t) }
        }
        terminal = terminals
    }

    /// The longest pattern starting at `i`: (pattern index, end), or nil.
    @inline(__always)
    private func longest(_ p: UnsafeBufferPointer<UInt8>, from i: Int) -> (Int, Int)? {
        var node = 0
        var best: (Int, Int)? = nil
        var j = i
        while j < p.count {
            let b = p[j]
            let start = Int(childStart[node]), end = start + Int(childCount[node])
            var next = -1
            for e in start..<end where edgeByte[e] == b { next = Int(edgeTarget[e]); break }
            if next < 0 { break }
            node = next
            j += 1
            if terminal[node] >= 0 { best = (Int(terminal[node]), j) }
        }
        return best
    }

    /// Splits `p` into consecutive ranges, each either an added token (with its id) or plain text.
    /// Appends to `out` as (start, end, id or -1); no range is empty.
    func split(_ p: UnsafeBufferPointer<UInt8>, into out: inout [(start: Int, end: Int, id: Int32)]) {
        let n = p.count
        guard n > 0 else { return }
        guard !patterns.isEmpty else { out.append((0, n, -1)); return }
        var consumed = 0  // `start_offset` in tokenizers: text before it is already emitted
        var i = 0
        while i < n {
            guard firstBytes[Int(p[i])], let (index, matchEnd) = longest(p, from: i) else { i += 1; continue }
            let pattern = patterns[index]
            var start = i, stop = matchEnd
            i = matchEnd
            if pattern.singleWord {
                let startOK = start == 0 || !endsWithWordCharacter(p, before: start)
                let stopOK = stop == n || !startsWithWordCharacter(p, at: stop)
                if !startOK || !stopOK { continue }
            }
            if pattern.lstrip {
                // Take the whitespace before the token, but not what an earlier match took.
                start = max(leadingEdgeOfTrailingWhitespace(p, before: start), consumed)
            }
            if pattern.rstrip {
                // Like tokenizers, the search for the next match still resumes at the match end.
                stop = endOfLeadingWhitespace(p, from: stop)
            }
            if consumed < start { out.append((consumed, start, -1)) }
            out.append((start, stop, pattern.id))
            consumed = stop
        }
        if consumed < n { out.append((consumed, n, -1)) }
    }

    // `\w$` on the text before `i`.
    private func endsWithWordCharacter(_ p: UnsafeBufferPointer<UInt8>, before i: Int) -> Bool {
        var s = i - 1
        while s > 0 && p[s] & 0xC0 == 0x80 { s -= 1 }
        guard s >= 0 else { return false }
        return CharClass.of(decodeScalar(p, s).value) & CharClass.word != 0
    }

    // `^\w` on the text from `i`.
    private func startsWithWordCharacter(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        i < p.count && CharClass.of(decodeScalar(p, i).value) & CharClass.word != 0
    }

    // Start of `\s*$` in p[..<i].
    private func leadingEdgeOfTrailingWhitespace(_ p: UnsafeBufferPointer<UInt8>, before i: Int) -> Int {
        var edge = i
        var s = i
        while s > 0 {
            var c = s - 1
            while c > 0 && p[c] & 0xC0 == 0x80 { c -= 1 }
            guard CharClass.of(decodeScalar(p, c).value) & CharClass.whitespace != 0 else { break }
            edge = c
            s = c
        }
        return edge
    }

    // End of `^\s*` in p[i...].
    private func endOfLeadingWhitespace(_ p: UnsafeBufferPointer<UInt8>, from i: Int) -> Int {
        var j = i
        while j < p.count {
            let (v, length) = decodeScalar(p, j)
            guard CharClass.of(v) & CharClass.whitespace != 0 else { break }
            j += length
        }
        return min(j, p.count)
    }
}
