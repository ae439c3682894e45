/// A stretch of text on its way through the pre-tokenizers: bytes (a slice of a shared buffer, so
/// that splitting copies nothing), whether it begins at the start of the original input, and
/// whether its bytes stand for GPT-2 byte-level characters (the ByteLevel pre-tokenizer maps
/// bytes lazily: the BPE model looks up a table per byte instead of building the mapped string).
struct Piece {
    var bytes: ArraySlice<UInt8>
    var atOrigin: Bool
    var byteLevel: Bool

    /// The piece with its byte-level mapping written out, for a pre-tokenizer that must see the
    /// mapped characters (one that runs after ByteLevel in a Sequence).
    func materialized() -> Piece {
        guard byteLevel else { return self }
        return Piece(bytes: ByteUnicode.encode(bytes)[...], atOrigin: atOrigin, byteLevel: false)
    }

    /// The sub-piece `range` (absolute indices into `bytes`).
    @inline(__always)
    func sub(_ range: Range<Int>) -> Piece {
        Piece(bytes: bytes[range], atOrigin: atOrigin && range.lowerBound == bytes.startIndex, byteLevel: byteLevel)
    }
}

/// How `Split` (and other pattern splits) treat the matched delimiters, as in `tokenizers`.
enum SplitBehavior: String, Sendable, CaseIterable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Turns consecutive (range, isMatch) segments that cover a text into the kept ranges,
    /// following `NormalizedString::split`.
    func apply(_ segments: [(range: Range<Int>, isMatch: Bool)]) -> [Range<Int>] {
        switch self {
        case .isolated:
            return segments.map(\.range)
        case .removed:
            return segments.compactMap { $0.isMatch ? nil : $0.range }
        case .contiguous:
            return Self.merged(segments) { isMatch, previous in isMatch == previous }
        case .mergedWithPrevious:
            return Self.merged(segments) { isMatch, previous in isMatch && !previous }
        case .mergedWithNext:
            // A match merges with the segment after it: the same rule, walking backwards.
            return Self.merged(segments.reversed()) { isMatch, previous in isMatch && !previous }.reversed()
        }
    }

    /// The segments' ranges in order, each joined onto the last range kept when
    /// `joins(its isMatch, the previous segment's isMatch)` (the first segment's previous counts
    /// as no match); in either direction over the text, as the segments are contiguous.
    private static func merged(_ segments: some Sequence<(range: Range<Int>, isMatch: Bool)>,
                               joins: (Bool, Bool) -> Bool) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(segments.underestimatedCount)
        var previous = false
        for s in segments {
            if joins(s.isMatch, previous), let last = out.last {
                out[out.count - 1] = min(last.lowerBound, s.range.lowerBound)..<max(last.upperBound, s.range.upperBound)
            } else {
                out.append(s.range)
            }
            previous = s.isMatch
        }
        return out
    }
}
