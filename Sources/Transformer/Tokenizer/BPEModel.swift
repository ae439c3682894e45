/// The BPE model of `tokenizer.json` (`"model": {"type": "BPE", ...}`): a vocabulary, ranked
/// merges, and the rules for characters missing from the vocabulary (byte fallback to `<0xNN>`
/// tokens, an unknown token, fused or not). It turns one pre-tokenized word into token ids.
struct BPEModel: Sendable {
    /// Token bytes to id.
    let vocab: ByteTable
    /// Id to token bytes (nil where no token has that id).
    let tokens: [[UInt8]?]
    let merges: MergeTable
    let unknownID: Int32?
    /// `continuing_subword_prefix` / `end_of_word_suffix`; nil when absent or empty (an empty
    /// affix changes nothing, and GPT-2's file spells "no affix" as "").
    let continuingPrefix: [UInt8]?
    let endOfWordSuffix: [UInt8]?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    /// The id of `<0xNN>` for each byte, -1 where missing.
    let byteTokenIDs: [Int32]
    /// The id of the byte-level character of each byte (GPT-2 table), -1 where missing: lets a
    /// byte-level word start its merges without building the mapped string.
    let byteLevelIDs: [Int32]
    let hasAllByteLevelIDs: Bool

    init(vocab: ByteTable, tokens: [[UInt8]?], merges: MergeTable, unknownID: Int32?, continuingPrefix: [UInt8]?,
         endOfWordSuffix: [UInt8]?, fuseUnknown: Bool, byteFallback: Bool, ignoreMerges: Bool) {
        self.vocab = vocab
        self.tokens = tokens
        self.merges = merges
        self.unknownID = unknownID
        self.continuingPrefix = continuingPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        byteTokenIDs = (0..<256).map { b in
            let hex = Array("0123456789ABCDEF".utf8)
            return vocab.get([UInt8(ascii: "<"), UInt8(ascii: "0"), UInt8(ascii: "x"), hex[b >> 4], hex[b & 15], UInt8(ascii: ">")]) ?? -1
        }
        byteLevelIDs = (0..<256).map { vocab.get(ByteUnicode.utf8ForByte[$0]) ?? -1 }
        hasAllByteLevelIDs = !byteLevelIDs.contains(-1)
    }

    /// Appends the ids of `word` to `out`. `byteLevel` says that the word's raw bytes stand for
    /// their GPT-2 byte-level characters (the ByteLevel pre-tokenizer ran last).
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, byteLevel: Bool, scratch: EncodeScratch, into out: inout [Int32]) {
        guard !word.isEmpty else { return }
        if ignoreMerges {
            // Llama-3 style: a word that is itself a token is not split, whatever the merges say.
            let id: Int32? = byteLevel ? vocab.get(ByteUnicode.encode(ArraySlice(word))) : vocab.get(word)
            if let id { out.append(id); return }
        }
        let hash = hashBytes(word)
        if scratch.cache.lookup(word, hash: hash, into: &out) { return }
        let start = out.count
        scratch.symbols.removeAll(keepingCapacity: true)
        if byteLevel && hasAllByteLevelIDs && continuingPrefix == nil && endOfWordSuffix == nil {
            for b in word { scratch.symbols.append(byteLevelIDs[Int(b)]) }
        } else {
            scratch.text.removeAll(keepingCapacity: true)
            if byteLevel {
                for b in word { scratch.text.append(contentsOf: ByteUnicode.utf8ForByte[Int(b)]) }
            } else {
                scratch.text.append(contentsOf: word)
            }
            initialSymbols(scratch)
        }
        merge(scratch)
        out.append(contentsOf: scratch.symbols)
        scratch.cache.insert(word, hash: hash, ids: out[start...])
    }

    /// One symbol per character of `scratch.text`, following `BPE::merge_word` of `tokenizers`
    /// exactly, including its order of pending unknown tokens versus byte-fallback tokens.
    private func initialSymbols(_ scratch: EncodeScratch) {
        let text = scratch.text
        text.withUnsafeBufferPointer { p in
            var pendingUnknown = false
            var i = 0
            while i < p.count {
                let length = decodeScalar(p, i).length
                let end = min(i + length, p.count)
                scratch.key.removeAll(keepingCapacity: true)
                if i > 0, let prefix = continuingPrefix { scratch.key.append(contentsOf: prefix) }
                scratch.key.append(contentsOf: p[i..<end])
                if end == p.count, let suffix = endOfWordSuffix { scratch.key.append(contentsOf: suffix) }
                i = end
                if let id = vocab.get(scratch.key) {
                    if pendingUnknown, let unk = unknownID { scratch.symbols.append(unk); pendingUnknown = false }
                    scratch.symbols.append(id)
                    continue
                }
                if byteFallback, scratch.key.allSatisfy({ byteTokenIDs[Int($0)] >= 0 }) {
                    for b in scratch.key { scratch.symbols.append(byteTokenIDs[Int(b)]) }
                    continue
                }
                guard let unk = unknownID else { continue }  // no unknown token: the character is dropped
                if pendingUnknown && !fuseUnknown { scratch.symbols.append(unk) }
                pendingUnknown = true
            }
            if pendingUnknown, let unk = unknownID { scratch.symbols.append(unk) }
        }
    }
}
