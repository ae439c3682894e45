import Foundation

/// The inference pass of pre-norm decoders: the same block as the training pass
/// (`PreNormDecoder.step`), read from the same `Shape`, `Weights` and `Embeddings`, but over a
/// `ForwardBatch` whose keys and values go to a `KVCache`, with the residual stream updated in
/// place and nothing kept for a backward pass.
extension PreNormDecoder {
    /// What an inference pass keeps between calls: the model's description resolved once (its
    /// weight matrices do not move: the arenas are allocated with the model), the activation
    /// buffers sized for the largest batch so far, and attention's per-worker scratch. Used
    /// under the model's lock only.
    final class InferenceState: @unchecked Sendable {
        struct Resolved {
            var shape: Shape
            var weights: ResidentWeights
            var embeddings: Embeddings
            var workspace: Workspace
        }

        let scratch = AttentionScratch()
        private var resolved: Resolved?

        /// The description, built by `make` on the first pass.
        func resolve(_ make: () -> (Shape, ResidentWeights, Embeddings)) -> Resolved {
            if let resolved { return resolved }
            let (shape, weights, embeddings) = make()
            let f = shape.intermediate
            // x, the normalised rows, [Q | K | V], attention output, MLP pre-activation, the
            // gated MLP's activation (the plain MLP activates in place), and a branch's output
            // before its sandwich norm, and a LoRA adapter's x·Aᵀ.
            let widths = [shape.hidden, shape.hidden, shape.attention.map(\.fusedWidth).max() ?? 0,
                          shape.attention.map(\.queryWidth).max() ?? 0, shape.gated ? 2 * f : f, shape.gated ? f : 0,
                          shape.postNorms ? shape.hidden : 0, lowRankScratch(weights.blocks.map(\.adapters), inWidth: 0).u]
            let made = Resolved(shape: shape, weights: weights, embeddings: embeddings, workspace: Workspace(widths: widths))
            resolved = made
            return made
        }
    }

    /// Normalises `rows` rows of `x` into `y` (no statistics: nothing runs backward).
    static func normalize(_ s: Shape, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          into y: UnsafeMutablePointer<Float>, rows: Int) {
        switch s.norm {
        case .layerNorm:
            Normalization.layerNorm(x, weight: weight, bias: bias, eps: s.eps, into: y, rows: rows, width: s.hidden)
        case let .rms(offset):
            Normalization.rmsNorm(x, weight: weight, offset: offset, eps: s.eps, into: y, rows: rows, width: s.hidden)
        }
    }

    /// Runs the batch's new tokens through the decoder, appending their keys and values to
    /// `cache`, and returns the logits and hidden states asked for. The caller has checked the
    /// batch (`DecoderOutput.check`) and holds the model's lock.
    static func infer(
        _ batch: ForwardBatch, cache: KVCache, state: InferenceState, logits: LogitRows, hiddenStates: Bool,
        describe: () -> (Shape, ResidentWeights, Embeddings)
    ) -> ForwardResult {
        let r = state.resolve(describe)
        let s = r.shape, w = r.weights, t = batch.tokenCount, d = s.hidden
        r.workspace.reserve(tokens: t)
        let x = r.workspace[0], n = r.workspace[1]
        // A prefill for generation asks only for each sequence's last logits. The last block's
        // keys and values (what the cache keeps) come from its input, so past its attention
        // only those rows matter: the output projection and the MLP, nearly all of the block's
        // products, run over them alone (1/layers of a long prompt's work saved).
        let lastBlockRows = logits == .lastOfEachSequence && !hiddenStates && batch.segments.count < t
            && batch.segments.allSatisfy { $0.count > 0 } ? batch.lastRows : nil
        // An empty batch has no rows to embed or transform (and empty arrays may have no address).
        if t > 0 {
            batch.tokens.withUnsafeBufferPointer { tokens in
                batch.positions.withUnsafeBufferPointer { positions in
                    r.embeddings.embed(tokens.baseAddress!, positions.baseAddress!, t, x)
                    for l in 0..<s.attention.count {
                        block(s, attention: s.attention[l], w.blocks[l], layer: l, batch: batch, positions: positions.baseAddress!,
                              cache: cache, workspace: r.workspace, scratch: state.scratch,
                              rowsAfterAttention: l == s.attention.count - 1 ? lastBlockRows : nil)
                    }
                }
            }
        }
        DecoderOutput.commit(batch, cache: cache)
        return DecoderOutput.finish(batch, x: x, scratch: n, hidden: d, vocabulary: s.vocabulary, head: w.head,
                                    logitRows: logits, wantHidden: hiddenStates, softCap: s.finalSoftCap) { from, to, rows in
            normalize(s, from, weight: w.finalNormWeight, bias: w.finalNormBias, into: to, rows: rows)
        }
    }

    /// One block over the residual stream `workspace[0]`, in place:
    ///
    ///     sequential:  x += Wo·attn(n1 x);  x += mlp(n2 x)
    ///     parallel:    x += Wo·attn(n1 x) + mlp(n2 x), both branches reading the block input
    ///     sandwich:    x += p1(Wo·attn(n1 x));  x += p2(mlp(n2 x))
    ///
    /// Products go through the matrices' own `linear`, in the precision the model keeps them
    /// (and the bf16 decoding copy of an fp32 model for decoding-sized ones, when on).
    ///
    /// With `rowsAfterAttention` (ascending rows), only those rows go on past attention: they
    /// are gathered to the front of the residual stream and the attention output, the rest of
    /// the block runs over them, and they return to their places in `x` at the end (the other
    /// rows of `x` are left as the block's input).
    private static func block(
        _ s: Shape, attention a: AttentionShape, _ w: BlockOf<WeightMatrix>, layer l: Int, batch: ForwardBatch, positions: UnsafePointer<Int32>,
        cache: KVCache, workspace: Workspace, scratch: AttentionScratch, rowsAfterAttention: [Int]? = nil
    ) {
        let d = s.hidden, f = s.intermediate, up = s.gated ? 2 * f : f, width = a.fusedWidth
        var t = batch.tokenCount
        let x = workspace[0], n = workspace[1], qkv = workspace[2], att = workspace[3], ff = workspace[4], u = workspace[7]
        let adapters = w.adapters ?? BlockAdapters()
        normalize(s, x, weight: w.norm1Weight, bias: w.norm1Bias, into: n, rows: t)
        w.qkvWeight.linear(n, into: qkv, m: t, n: width, k: d)
        if let b = w.qkvBias { Vector.addBias(b, to: qkv, rows: t, width: width) }
        lowRankForward(adapters[.qkv], x: n, rows: t, inWidth: d, into: qkv, stride: width, scratch: u)
        s.rotary?.apply(qkv, width: width, tokens: t, positions: positions, queryHeads: a.queryHeads,
                        keyHeads: a.keyValueHeads, keyOffset: a.queryWidth)
        Attention.run(a, qkv: qkv, batch: batch, cache: cache, layer: l, scratch: scratch, into: att)
        if let kept = rowsAfterAttention {
            gather(kept, of: att, width: a.queryWidth)
            gather(kept, of: x, width: d)
            t = kept.count
        }
        defer { if let kept = rowsAfterAttention { scatter(kept, into: x, width: d) } }
        // The parallel block's MLP reads the same x as attention did: normalise before adding.
        if s.parallelResidual { normalize(s, x, weight: w.norm2Weight, bias: w.norm2Bias, into: n, rows: t) }
        if let post = w.postAttentionNormWeight {
            let branch = workspace[6]
            w.outWeight.linear(att, into: branch, m: t, n: d, k: a.queryWidth)
            if let b = w.outBias { Vector.addBias(b, to: branch, rows: t, width: d) }
            lowRankForward(adapters[.out], x: att, rows: t, inWidth: a.queryWidth, into: branch, stride: d, scratch: u)
            normalize(s, branch, weight: post, bias: nil, into: n, rows: t)
            Vector.add(n, into: x, count: t * d)
        } else {
            w.outWeight.linear(att, into: x, m: t, n: d, k: a.queryWidth, accumulate: true)
            if let b = w.outBias { Vector.addBias(b, to: x, rows: t, width: d) }
            lowRankForward(adapters[.out], x: att, rows: t, inWidth: a.queryWidth, into: x, stride: d, scratch: u)
        }
        if !s.parallelResidual { normalize(s, x, weight: w.norm2Weight, bias: w.norm2Bias, into: n, rows: t) }
        w.upWeight.linear(n, into: ff, m: t, n: up, k: d)
        if let b = w.upBias { Vector.addBias(b, to: ff, rows: t, width: up) }
        lowRankForward(adapters[.up], x: n, rows: t, inWidth: d, into: ff, stride: up, scratch: u)
        let activated: UnsafeMutablePointer<Float>
        if s.gated {
            activated = workspace[5]
            s.activation.applyGated(ff, into: activated, rows: t, width: f)
        } else {
            activated = ff
            s.activation.apply(ff, count: t * f)
        }
        if let post = w.postMLPNormWeight {
            let branch = workspace[6]
            w.downWeight.linear(activated, into: branch, m: t, n: d, k: f)
            if let b = w.downBias { Vector.addBias(b, to: branch, rows: t, width: d) }
            lowRankForward(adapters[.down], x: activated, rows: t, inWidth: f, into: branch, stride: d, scratch: u)
            normalize(s, branch, weight: post, bias: nil, into: n, rows: t)
            Vector.add(n, into: x, count: t * d)
        } else {
            w.downWeight.linear(activated, into: x, m: t, n: d, k: f, accumulate: true)
            if let b = w.downBias { Vector.addBias(b, to: x, rows: t, width: d) }
            lowRankForward(adapters[.down], x: activated, rows: t, inWidth: f, into: x, stride: d, scratch: u)
        }
    }

    /// Moves rows `rows[i]` (ascending, `rows[i] >= i`) of `m` to rows `i`, in place: each
    /// source lies at or after its destination and after every earlier destination.
    private static func gather(_ rows: [Int], of m: UnsafeMutablePointer<Float>, width: Int) {
        for (i, r) in rows.enumerated() where r != i { (m + i * width).update(from: m + r * width, count: width) }
    }

    /// Undoes `gather`: rows `i` of `m` back to rows `rows[i]`, from the last, so that no row
    /// still to be moved is overwritten.
    private static func scatter(_ rows: [Int], into m: UnsafeMutablePointer<Float>, width: Int) {
        for (i, r) in rows.enumerated().reversed() where r != i { (m + r * width).update(from: m + i * width, count: width) }
    }
}
