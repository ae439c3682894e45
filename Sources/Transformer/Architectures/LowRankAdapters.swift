import Foundation

/// LoRA in the pre-norm block: a frozen product `y = x·Wᵀ` gains a trainable low-rank term,
///
///     y[:, offset ..< offset + width] += scale · (x·Aᵀ)·Bᵀ,   A [rank, in],  B [width, rank]
///
/// with `scale = alpha / rank` (PEFT's `LoraLayer`). Several adapters may share one fused
/// product: q, k and v each own a column range of `[Q | K | V]`, gate and up of `[gate | up]`.
/// Both passes add the term right after the base product (and its bias), so rotary and
/// attention see exactly what PEFT's wrapped `nn.Linear` returns.
///
/// Backward, with `U = x·Aᵀ` recomputed and `dY` the slice's gradient:
///
///     dB += scale · dYᵀ·U      dU = scale · dY·B      dA += dUᵀ·x      dx += dU·A
///
/// The first three need `x` and run before the base product's backward (which may reuse
/// `x`'s buffer for `dx`, as the MLP's down projection does); the last adds into the `dx`
/// that product wrote.
extension PreNormDecoder {
    /// The products of a block an adapter can join.
    enum Projection: String, CaseIterable, Sendable {
        case qkv, out, up, down
    }

    /// One adapter, as pointers into an adapter arena (or its gradient).
    struct LowRank {
        var a, b: UnsafeMutablePointer<Float>
        var rank: Int
        var scale: Float
        /// The output columns it adds to, within the product's row.
        var offset, width: Int
        /// LoRA dropout on the adapter's input (training passes only): `U = dropout(x)·Aᵀ`.
        var dropout: DropoutMask? = nil
    }

    /// A block's adapters by product (empty: none).
    struct BlockAdapters {
        var byProjection: [Projection: [LowRank]] = [:]

        subscript(_ p: Projection) -> [LowRank] { byProjection[p] ?? [] }

        /// The largest rank and the largest sum of ranks on one product: scratch sizes.
        var ranks: (largest: Int, perProduct: Int) {
            let all = byProjection.values
            return (all.flatMap { $0.map(\.rank) }.max() ?? 0, all.map { $0.reduce(0) { $0 + $1.rank } }.max() ?? 0)
        }
    }

    /// Scratch floats per token for a model's adapters: `U` of one adapter, `dU` of every
    /// adapter on one product at once, and (with dropout) one adapter's dropped-out input.
    static func lowRankScratch(_ adapters: [BlockAdapters?], inWidth: Int) -> (u: Int, dU: Int, dropped: Int) {
        let ranks = adapters.compactMap { $0?.ranks }
        let dropout = adapters.contains { $0?.byProjection.values.contains { $0.contains { $0.dropout != nil } } ?? false }
        return (ranks.map(\.largest).max() ?? 0, ranks.map(\.perProduct).max() ?? 0, dropout ? inWidth : 0)
    }

    /// The adapter's input: `x` itself, or `x` after its dropout mask in `scratch`.
    private static func input(_ a: LowRank, _ x: UnsafePointer<Float>, rows t: Int, width k: Int,
                              scratch: UnsafeMutablePointer<Float>?) -> UnsafePointer<Float> {
        guard let mask = a.dropout, let scratch else { return x }
        mask.apply(x, into: scratch, rows: t, width: k)
        return UnsafePointer(scratch)
    }

    /// `u = x·Aᵀ` (`rows × rank`), through A transposed into a panel.
    private static func project(_ a: LowRank, _ x: UnsafePointer<Float>, rows t: Int, inWidth k: Int, into u: UnsafeMutablePointer<Float>) {
        let aT = LowRankProducts.transposed(a.a, rows: a.rank, columns: k)
        defer { aT.deallocate() }
        LowRankProducts.rowsTimesPanel(x, lda: k, aT, rank: a.rank, into: u, ldc: a.rank, rows: t, depth: k)
    }

    /// `y[:, a.offset ..< +a.width] += a.scale · (x·Aᵀ)·Bᵀ` for each adapter; `x` is
    /// `[rows, inWidth]`, `y` has rows of `stride` floats, `u` holds `rows × rank` floats.
    static func lowRankForward(_ adapters: [LowRank], x: UnsafePointer<Float>, rows t: Int, inWidth k: Int,
                               into y: UnsafeMutablePointer<Float>, stride n: Int, scratch u: UnsafeMutablePointer<Float>,
                               dropped: UnsafeMutablePointer<Float>? = nil) {
        guard t > 0 else { return }
        for a in adapters {
            let x = input(a, x, rows: t, width: k, scratch: dropped)
            project(a, x, rows: t, inWidth: k, into: u)
            let bT = LowRankProducts.transposed(a.b, rows: a.width, columns: a.rank)
            defer { bT.deallocate() }
            LowRankProducts.rowsPlusPanel(u, ldu: a.rank, bT, ldq: a.width, rank: a.rank, into: y + a.offset, ldy: n,
                                          rows: t, width: a.width, alpha: a.scale)
        }
    }

    /// The adapters' parameter gradients (added into `gradients`, same order) and each one's
    /// `dU` (written one after another into `dU`, `rows × rank` each), from the input `x` and
    /// the product's output gradient `dy` (rows of `stride`).
    static func lowRankBackwardWeights(_ adapters: [LowRank], gradients: [LowRank], x: UnsafePointer<Float>, rows t: Int, inWidth k: Int,
                                       dy: UnsafePointer<Float>, stride n: Int,
                                       scratch u: UnsafeMutablePointer<Float>, dU: UnsafeMutablePointer<Float>,
                                       dropped: UnsafeMutablePointer<Float>? = nil) {
        guard t > 0 else { return }
        var du = dU
        for (a, g) in zip(adapters, gradients) {
            let r = a.rank
            let x = input(a, x, rows: t, width: k, scratch: dropped)
            project(a, x, rows: t, inWidth: k, into: u)
            LowRankProducts.columnsReduce(dy + a.offset, ldm: n, columns: a.width, u, ldv: r, rank: r, rows: t,
                                          into: g.b, layout: .columnMajor(ld: r), alpha: a.scale)
            LowRankProducts.rowsTimesPanel(dy + a.offset, lda: n, a.b, rank: r, into: du, ldc: r, rows: t, depth: a.width,
                                           alpha: a.scale)
            LowRankProducts.columnsReduce(x, ldm: k, columns: k, du, ldv: r, rank: r, rows: t, into: g.a, layout: .rankMajor(ld: k))
            du += t * r
        }
    }

    /// `dx += Σ dU·A` over the adapters (through each one's dropout mask), with `dU` as
    /// `lowRankBackwardWeights` left it.
    static func lowRankBackwardInput(_ adapters: [LowRank], dU: UnsafePointer<Float>, rows t: Int, inWidth k: Int,
                                     dx: UnsafeMutablePointer<Float>, dropped: UnsafeMutablePointer<Float>? = nil) {
        guard t > 0 else { return }
        var du = dU
        for a in adapters {
            if let mask = a.dropout, let dropped {
                dropped.update(repeating: 0, count: t * k)
                LowRankProducts.rowsPlusPanel(du, ldu: a.rank, a.a, ldq: k, rank: a.rank, into: dropped, ldy: k, rows: t, width: k)
                mask.apply(dropped, into: dx, rows: t, width: k, accumulate: true)
            } else {
                LowRankProducts.rowsPlusPanel(du, ldu: a.rank, a.a, ldq: k, rank: a.rank, into: dx, ldy: k, rows: t, width: k)
            }
            du += t * a.rank
        }
    }
}
