/// Generation that may only write words from a fixed list, each at most once, then stop: for
/// example gene names, so that every generated word is a valid gene and none repeats, by
/// construction rather than by filtering afterwards.
///
/// Each word is given as the token ids it has in running text (its tokenisation with the
/// leading space, e.g. `" CD74"`), and the words form a trie over those ids. At a word boundary
/// the next token must start an unused word or be an end token; inside a word it must continue
/// one. A word whose ids are a prefix of another's (`" HLA"` and `" HLA-A"`) may end where it
/// is complete or go on. A word counts as used once it is complete and generation moves on, and
/// subtrees with no unused word left are closed, so the allowed set is never a dead end: when
/// every word has been used only the end tokens remain.
///
/// A token that both continues the current word and starts a new one would make the split
/// between words ambiguous; `init` rejects such lists (byte-level and SentencePiece-style BPE
/// never produce them for space-separated words, since only a word's first token carries the
/// space).
public struct UniqueWordConstraint: DecodingConstraint {
    struct Node: Sendable {
        /// Children as (token, node index), sorted by token.
        var children: [(token: Int32, node: Int)] = []
        /// The word ending at this node, if any.
        var word: Int?
        var parent: Int = -1
        /// Number of words in this subtree (the root's is the word count).
        var words = 0
    }

    let nodes: [Node]
    /// Tokens that end the sequence (allowed at word boundaries).
    public let endTokens: [Int32]
    public let wordCount: Int
    /// Tokens that start a word (the root's children): they also close the current word.
    let startTokens: Set<Int32>
    /// End tokens are allowed only once this many words are complete (or no unused word is
    /// left): a model that learnt to end sentences early still writes as many genes as asked.
    public var minWords = 0

    /// - Parameters:
    ///   - words: each word's token ids; empty or duplicate sequences are an error.
    ///   - endTokens: tokens that may end the sequence at a word boundary (usually EOS).
    public init(words: [[Int32]], endTokens: [Int32]) throws {
        var nodes = [Node()]
        for (w, ids) in words.enumerated() {
            guard !ids.isEmpty else { throw ModelError.input("word \(w + 1) of the constraint has no tokens") }
            var at = 0
            nodes[0].words += 1
            for t in ids {
                if let hit = nodes[at].children.first(where: { $0.token == t }) {
                    at = hit.node
                } else {
                    nodes.append(Node(parent: at))
                    nodes[at].children.append((t, nodes.count - 1))
                    at = nodes.count - 1
                }
                nodes[at].words += 1
            }
            guard nodes[at].word == nil else {
                throw ModelError.input("words \(nodes[at].word! + 1) and \(w + 1) of the constraint have the same tokens \(ids)")
            }
            nodes[at].word = w
        }
        for i in nodes.indices { nodes[i].children.sort { $0.token < $1.token } }
        let starts = Set(nodes[0].children.map(\.token))
        for (i, n) in nodes.enumerated() where i != 0 && n.word != nil {
            if let clash = n.children.first(where: { starts.contains($0.token) || endTokens.contains($0.token) }) {
                throw ModelError.input("token \(clash.token) both continues word \(n.word! + 1) and starts a new word or ends the sequence; the word boundary would be ambiguous")
            }
        }
        self.nodes = nodes
        self.endTokens = endTokens
        self.startTokens = starts
        wordCount = words.count
    }

    public func makeState() -> any DecodingConstraintState { State(self) }

    /// One sequence's progress: the trie node reached and how many unused words remain below
    /// each node.
    public final class State: DecodingConstraintState {
        let trie: UniqueWordConstraint
        var node = 0
        var remaining: [Int32]
        /// Words completed so far, in order.
        public private(set) var completedWords: [Int] = []
        /// True once an end token has been chosen.
        public private(set) var ended = false

        init(_ trie: UniqueWordConstraint) {
            self.trie = trie
            remaining = trie.nodes.map { Int32($0.words) }
        }

        /// At a boundary: the current node is the root, or holds an unused complete word.
        private var atBoundary: Bool {
            node == 0 || (trie.nodes[node].word != nil && isUnused(node))
        }

        private func isUnused(_ n: Int) -> Bool {
            // A complete word at n is unused while n's own count exceeds its children's.
            var below: Int32 = 0
            for c in trie.nodes[n].children { below += remaining[c.node] }
            return remaining[n] > below
        }

        public func restrict(_ logits: UnsafeMutableBufferPointer<Float>) {
            var allowed: [Int32] = node == 0 ? [] : trie.nodes[node].children.filter { remaining[$0.node] > 0 }.map(\.token)
            if atBoundary {
                // Starting a word closes the current one, so its subtree counts one word fewer.
                let current = rootChild(of: node)
                allowed += trie.nodes[0].children.filter { remaining[$0.node] - ($0.node == current ? 1 : 0) > 0 }.map(\.token)
                // The word at this node (if any) is complete, so it counts.
                let words = completedWords.count + (node == 0 ? 0 : 1)
                if words >= trie.minWords || allowed.isEmpty { allowed += trie.endTokens }
            }
            var keep = [Float](repeating: -.infinity, count: allowed.count)
            for (i, t) in allowed.enumerated() where t >= 0 && Int(t) < logits.count { keep[i] = logits[Int(t)] }
            for i in logits.indices { logits[i] = -.infinity }
            for (i, t) in allowed.enumerated() where t >= 0 && Int(t) < logits.count { logits[Int(t)] = keep[i] }
        }

        /// The root's child on the path to `n` (-1 for the root).
        private func rootChild(of n: Int) -> Int {
            var at = n
            while at > 0, trie.nodes[at].parent != 0 { at = trie.nodes[at].parent }
            return at == 0 ? -1 : at
        }

        public func advance(_ token: Int32) {
            if let child = trie.nodes[node].children.first(where: { $0.token == token }) {
                node = child.node
                return
            }
            // Leaving a complete word: it is now used.
            if node != 0 { finishWord() }
            if trie.endTokens.contains(token) {
                ended = true
                node = 0
            } else if let start = trie.nodes[0].children.first(where: { $0.token == token }) {
                node = start.node
            } else {
                preconditionFailure("token \(token) was not allowed by the constraint")
            }
        }

        /// Marks the word at the current node used and closes it in every ancestor's count.
        private func finishWord() {
            guard let w = trie.nodes[node].word else { preconditionFailure("left a word before it was complete") }
            completedWords.append(w)
            var at = node
            while at >= 0 {
                remaining[at] -= 1
                at = trie.nodes[at].parent
            }
            node = 0
        }

        /// Completes a word still open when generation stopped for length.
        public func finish() {
            if node != 0, trie.nodes[node].word != nil { finishWord() }
        }
    }
}
