/// One forward pass over several sequences, ragged: the new tokens of all sequences are
/// concatenated into one `[tokens, width]` matrix, so no work is spent on padding and every
/// sequence gets exactly the result it would get alone.
public struct ForwardBatch: Sendable {
    /// One sequence's share of the batch.
    public struct Segment: Sendable {
        /// The cache slot holding this sequence's earlier tokens.
        public var slot: Int
        /// First row of this sequence's new tokens in the concatenated matrix.
        public var start: Int
        /// Number of new tokens.
        public var count: Int
        /// Tokens already in the cache (the position of the first new token).
        public var past: Int
    }

    public private(set) var tokens: [Int32] = []
    public private(set) var positions: [Int32] = []
    public private(set) var segments: [Segment] = []

    public init() {}

    /// Appends `newTokens` for the sequence in `slot`, which already holds `past` tokens.
    public mutating func append(slot: Int, newTokens: some Collection<Int32>, past: Int) {
        segments.append(Segment(slot: slot, start: tokens.count, count: newTokens.count, past: past))
        tokens.append(contentsOf: newTokens)
        positions.append(contentsOf: (0..<newTokens.count).map { Int32(past + $0) })
    }

    public var tokenCount: Int { tokens.count }
    /// Row index of each segment's last token.
    public var lastRows: [Int] { segments.map { $0.start + $0.count - 1 } }
}
