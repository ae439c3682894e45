import Foundation

extension Tokenizer {
    /// Token ids of `text`; with `addSpecialTokens` the post-processor adds its special tokens
    /// (BOS for Llama and Gemma, nothing for GPT-2 and GPT-NeoX).
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int32] {
        scratchPool.withScratch { encode(text, addSpecialTokens: addSpecialTokens, scratch: $0) }
    }

    /// Encodes many texts, spread over all cores; the result is in the order of `texts`.
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool = true) -> [[Int32]] {
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, (texts.count + 15) / 16)
        guard workers > 1 else {
            return scratchPool.withScratch { scratch in texts.map { encode($0, addSpecialTokens: addSpecialTokens, scratch: scratch) } }
        }
        var results = [[Int32]](repeating: [], count: texts.count)
        results.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendableBuffer(buffer: buffer)
            // Blocks of 16 texts dealt round-robin: balanced for similar texts, no shared counter.
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                scratchPool.withScratch { scratch in
                    var block = worker
                    while block * 16 < texts.count {
                        for i in (block * 16)..<min(texts.count, block * 16 + 16) {
                            out.buffer[i] = encode(texts[i], addSpecialTokens: addSpecialTokens, scratch: scratch)
                        }
                        block += workers
                    }
                }
            }
        }
        return results
    }

    func encode(_ text: String, addSpecialTokens: Bool, scratch: EncodeScratch) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        let bytes = Array(text.utf8)
        var segments: [(start: Int, end: Int, id: Int32)] = []
        bytes.withUnsafeBufferPointer { rawMatcher.split($0, into: &segments) }
        var inner: [(start: Int, end: Int, id: Int32)] = []
        for segment in segments {
            if segment.id >= 0 { ids.append(segment.id); continue }
            var piece = Array(bytes[segment.start..<segment.end])
            var atOrigin = segment.start == 0
            normalizer?.apply(&piece, atOrigin: &atOrigin)
            inner.removeAll(keepingCapacity: true)
            piece.withUnsafeBufferPointer { normalizedMatcher.split($0, into: &inner) }
            for part in inner {
                if part.id >= 0 { ids.append(part.id); continue }
                let word = Piece(bytes: piece[part.start..<part.end], atOrigin: atOrigin && part.start == 0, byteLevel: false)
                if let preTokenizer {
                    preTokenizer.forEachWord(word) { tokenize($0, scratch: scratch, into: &ids) }
                } else {
                    tokenize(word, scratch: scratch, into: &ids)
                }
            }
        }
        return postProcessor?.process(ids, addSpecialTokens: addSpecialTokens) ?? ids
    }

    @inline(__always)
    private func tokenize(_ word: Piece, scratch: EncodeScratch, into ids: inout [Int32]) {
        word.bytes.withUnsafeBufferPointer { model.tokenize($0, byteLevel: word.byteLevel, scratch: scratch, into: &ids) }
    }

    /// The text of `ids`: unknown ids are dropped, special added tokens too when
    /// `skipSpecialTokens`, and the decoder of `tokenizer.json` joins the rest (without a
    /// decoder, tokens are joined with spaces, as in `tokenizers`).
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) -> String {
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = tokenBytes(id) else { continue }
            if skipSpecialTokens && specialTokenTexts.contains(token) { continue }
            tokens.append(token)
        }
        guard let decoder else {
            return tokens.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        }
        var out: [UInt8] = []
        for part in decoder.decodeChain(tokens) { out.append(contentsOf: part) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A result buffer written by `concurrentPerform` workers at disjoint indices.
private struct UnsafeSendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
}
