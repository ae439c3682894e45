import Foundation

/// The training pass GPT-2 and GPT-NeoX share: pre-LayerNorm blocks with a fused `[Q | K | V]`
/// projection, biases everywhere and a two-layer MLP; GPT-NeoX adds rotary embedding and the
/// parallel residual. Each architecture supplies its embeddings (forward and gradient), its
/// parameters as pointers, and per-layer attention shapes.
///
/// Block, residual and output head, with `x` the residual stream:
///
///     sequential (GPT-2):  m = x + Wo·attn(ln1 x);  x' = m + mlp(ln2 m)
///     parallel (NeoX):     x' = x + Wo·attn(ln1 x) + mlp(ln2 x)
///     loss = Σ_targets CE(head · lnf x_L)
///
/// The forward pass keeps, per layer, the block input, both norms' outputs and statistics, the
/// rotated `qkv`, the attention output and its log-sum-exp, the sequential residual's middle and
/// the MLP pre-activation; the MLP activation is recomputed in the backward pass.
enum LayerNormDecoder {
    struct Shape {
        var hidden: Int
        var intermediate: Int
        var vocabulary: Int
        var eps: Float
        var activation: Activation
        var parallelResidual: Bool
        /// Applied to the query and key heads when present.
        var rotary: Rotary?
        /// One per layer (GPT-2 may scale each layer's scores differently).
        var attention: [AttentionShape]
    }

    /// Pointers to one block's parameters, or to their gradients in a buffer laid out like the
    /// parameter arena.
    struct Block {
        var norm1Weight, norm1Bias, qkvWeight, qkvBias, outWeight, outBias: UnsafeMutablePointer<Float>
        var norm2Weight, norm2Bias, upWeight, upBias, downWeight, downBias: UnsafeMutablePointer<Float>

        /// `names` holds the twelve parameter names in the order of the fields.
        init(_ store: ParameterStore, in buffer: UnsafeMutablePointer<Float>, names: [String]) {
            precondition(names.count == 12)
            let p = names.map { store.pointer($0, in: buffer) }
            (norm1Weight, norm1Bias, qkvWeight, qkvBias, outWeight, outBias) = (p[0], p[1], p[2], p[3], p[4], p[5])
            (norm2Weight, norm2Bias, upWeight, upBias, downWeight, downBias) = (p[6], p[7], p[8], p[9], p[10], p[11])
        }
    }

    struct Weights {
        var blocks: [Block]
        var finalNormWeight, finalNormBias, head: UnsafeMutablePointer<Float>
    }

    /// What an architecture does with its embeddings: `embed` writes the input rows `x`
    /// (`[tokens, hidden]`) from tokens and positions (within each sequence); `embedBackward`
    /// adds the gradient `dx` of those rows into the embedding gradients.
    struct Embeddings {
        var embed: (_ tokens: UnsafePointer<Int32>, _ positions: UnsafePointer<Int32>, _ count: Int, _ x: UnsafeMutablePointer<Float>) -> Void
        var embedBackward: (_ tokens: UnsafePointer<Int32>, _ positions: UnsafePointer<Int32>, _ count: Int, _ dx: UnsafePointer<Float>) -> Void
    }

    struct Layer<P> {
        var input, norm1, stats1, qkv, attention, logSumExp, middle, norm2, stats2, preActivation: P
    }

    struct Layout<P> {
        var layers: [Layer<P>]
        var output, finalNorm, finalStats: P
        // Scratch for the backward pass and the loss.
        var dx, dNorm, dqkv, dAttention, activation, gathered, dGathered, logits, losses: P
    }

    static func layout<P>(_ s: Shape, tokens t: Int, targetRows r: Int, chunkRows: Int, _ take: (Int) -> P) -> Layout<P> {
        let d = s.hidden, f = s.intermediate
        var layers: [Layer<P>] = []
        for a in s.attention {
            layers.append(Layer(
                input: take(t * d), norm1: take(t * d), stats1: take(2 * t), qkv: take(t * a.fusedWidth),
                attention: take(t * a.queryWidth), logSumExp: take(t * a.queryHeads),
                middle: take(s.parallelResidual ? 0 : t * d), norm2: take(t * d), stats2: take(2 * t),
                preActivation: take(t * f)))
        }
        let widest = s.attention.map(\.fusedWidth).max() ?? 0
        return Layout(
            layers: layers, output: take(t * d), finalNorm: take(t * d), finalStats: take(2 * t),
            dx: take(t * d), dNorm: take(t * d), dqkv: take(t * widest), dAttention: take(t * d),
            activation: take(t * f), gathered: take(r * d), dGathered: take(r * d),
            logits: take(chunkRows * s.vocabulary), losses: take(r))
    }

    /// Forward pass, loss and, when `gradients` is given, the backward pass adding
    /// `scale × ∂(summed loss)` into the gradient pointers.
    static func step(
        _ batch: TrainingBatch, shape s: Shape, weights w: Weights, gradients: (weights: Weights, scale: Float)?,
        embeddings: Embeddings, workspace: TrainingWorkspace
    ) -> LossSum {
        let t = batch.tokens.count, d = s.hidden
        guard t > 0 else { return LossSum() }
        let sequences = batch.sequences
        let rows = batch.targetCount
        let chunk = CrossEntropy.chunkRows(vocabulary: s.vocabulary, rows: max(1, rows))
        var measure = ArenaCursor()
        _ = layout(s, tokens: t, targetRows: rows, chunkRows: chunk) { measure.take($0) }
        workspace.reserve(floats: measure.used, integers: 2 * t + 2 * rows)
        let base = workspace.floats
        var cursor = ArenaCursor()
        let a = layout(s, tokens: t, targetRows: rows, chunkRows: chunk) { base + cursor.take($0) }

        let tokens = workspace.integers, positions = tokens + t, targetRows = positions + t, targets = targetRows + rows
        var row = 0
        for (i, token) in batch.tokens.enumerated() {
            tokens[i] = token
            let target = batch.targets[i]
            if target != TrainingBatch.ignored {
                targetRows[row] = Int32(i)
                targets[row] = target
                row += 1
            }
        }
        for seq in sequences {
            for i in 0..<seq.count { positions[seq.start + i] = Int32(i) }
        }

        embeddings.embed(tokens, positions, t, a.layers.first?.input ?? a.output)
        for (l, layer) in a.layers.enumerated() {
            let next = l + 1 < a.layers.count ? a.layers[l + 1].input : a.output
            forward(s, attention: s.attention[l], w.blocks[l], layer, tokens: t, positions: positions, sequences: sequences,
                    activation: a.activation, output: next, scratch: workspace.attention)
        }
        Normalization.layerNorm(a.output, weight: w.finalNormWeight, bias: w.finalNormBias, eps: s.eps,
                                into: a.finalNorm, rows: t, width: d, statistics: a.finalStats)
        gatherRows(a.finalNorm, rows: targetRows, count: rows, width: d, into: a.gathered)
        let sum = CrossEntropy.loss(
            hidden: a.gathered, rows: rows, width: d, head: w.head, vocabulary: s.vocabulary, targets: targets,
            logits: a.logits, losses: a.losses,
            backward: gradients.map { CrossEntropy.Backward(scale: $0.scale, dHidden: a.dGathered, dHead: $0.weights.head) })
        // Without target tokens the gradient is zero: nothing to add.
        guard let g = gradients?.weights, rows > 0 else { return LossSum(sum: sum, tokens: rows) }

        // Rows without a target get no gradient from the loss.
        a.dNorm.update(repeating: 0, count: t * d)
        for i in 0..<rows { (a.dNorm + Int(targetRows[i]) * d).update(from: a.dGathered + i * d, count: d) }
        a.dx.update(repeating: 0, count: t * d)
        Normalization.layerNormBackward(a.dNorm, x: a.output, weight: w.finalNormWeight, statistics: a.finalStats,
                                        rows: t, width: d, dx: a.dx, dWeight: g.finalNormWeight, dBias: g.finalNormBias)
        for l in stride(from: a.layers.count - 1, through: 0, by: -1) {
            backward(s, attention: s.attention[l], w.blocks[l], g.blocks[l], a.layers[l], tokens: t, positions: positions,
                     sequences: sequences, layout: a, scratch: workspace.attention)
        }
        embeddings.embedBackward(tokens, positions, t, a.dx)
        return LossSum(sum: sum, tokens: rows)
    }

    private static func gatherRows(_ x: UnsafePointer<Float>, rows: UnsafePointer<Int32>, count: Int, width: Int,
                                   into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count { (out + i * width).update(from: x + Int(rows[i]) * width, count: width) }
    }

    /// One block forward: reads `layer.input`, fills the layer's saved activations and writes
    /// the block's output to `output`. `activation` is `[tokens, intermediate]` scratch.
    private static func forward(
        _ s: Shape, attention shape: AttentionShape, _ w: Block, _ layer: Layer<UnsafeMutablePointer<Float>>,
        tokens t: Int, positions: UnsafePointer<Int32>, sequences: [SequenceSpan],
        activation: UnsafeMutablePointer<Float>, output y: UnsafeMutablePointer<Float>, scratch: AttentionScratch
    ) {
        let d = s.hidden, f = s.intermediate, width = shape.fusedWidth
        let x = layer.input
        Normalization.layerNorm(x, weight: w.norm1Weight, bias: w.norm1Bias, eps: s.eps, into: layer.norm1,
                                rows: t, width: d, statistics: layer.stats1)
        Matmul.linear(layer.norm1, w.qkvWeight, into: layer.qkv, m: t, n: width, k: d)
        Vector.addBias(w.qkvBias, to: layer.qkv, rows: t, width: width)
        s.rotary?.apply(layer.qkv, width: width, tokens: t, positions: positions, queryHeads: shape.queryHeads,
                        keyHeads: shape.keyValueHeads, keyOffset: shape.queryWidth)
        Attention.trainingForward(shape, qkv: layer.qkv, sequences: sequences, scratch: scratch,
                                  into: layer.attention, logSumExp: layer.logSumExp)
        y.update(from: x, count: t * d)
        Matmul.linear(layer.attention, w.outWeight, into: y, m: t, n: d, k: shape.queryWidth, accumulate: true)
        Vector.addBias(w.outBias, to: y, rows: t, width: d)
        // The MLP reads the block input (parallel) or the residual after attention (sequential).
        let mlpInput: UnsafeMutablePointer<Float>
        if s.parallelResidual {
            mlpInput = x
        } else {
            layer.middle.update(from: y, count: t * d)
            mlpInput = layer.middle
        }
        Normalization.layerNorm(mlpInput, weight: w.norm2Weight, bias: w.norm2Bias, eps: s.eps, into: layer.norm2,
                                rows: t, width: d, statistics: layer.stats2)
        Matmul.linear(layer.norm2, w.upWeight, into: layer.preActivation, m: t, n: f, k: d)
        Vector.addBias(w.upBias, to: layer.preActivation, rows: t, width: f)
        s.activation.apply(layer.preActivation, into: activation, count: t * f)
        Matmul.linear(activation, w.downWeight, into: y, m: t, n: d, k: f, accumulate: true)
        Vector.addBias(w.downBias, to: y, rows: t, width: d)
    }

    /// One block backward. On entry `layout.dx` holds the gradient with respect to the block's
    /// output; on exit, with respect to its input. Parameter gradients are added into `g`.
    private static func backward(
        _ s: Shape, attention shape: AttentionShape, _ w: Block, _ g: Block, _ layer: Layer<UnsafeMutablePointer<Float>>,
        tokens t: Int, positions: UnsafePointer<Int32>, sequences: [SequenceSpan],
        layout a: Layout<UnsafeMutablePointer<Float>>, scratch: AttentionScratch
    ) {
        let d = s.hidden
        // Gradient through the attention output projection: reads dx as the block output's
        // gradient, so in the parallel block it must run before the MLP branch adds into dx.
        func outputProjection() {
            Matmul.linearBackward(a.dx, input: layer.attention, weight: w.outWeight, m: t, n: d, k: shape.queryWidth,
                                  dInput: a.dAttention, dWeight: g.outWeight, dBias: g.outBias)
        }
        if s.parallelResidual {
            outputProjection()
            mlpBackward(s, w, g, layer, tokens: t, normInput: layer.input, layout: a)
        } else {
            mlpBackward(s, w, g, layer, tokens: t, normInput: layer.middle, layout: a)
            outputProjection()
        }
        let width = shape.fusedWidth
        Attention.trainingBackward(shape, qkv: layer.qkv, out: layer.attention, dOut: a.dAttention,
                                   logSumExp: layer.logSumExp, sequences: sequences, scratch: scratch, into: a.dqkv)
        s.rotary?.apply(a.dqkv, width: width, tokens: t, positions: positions, queryHeads: shape.queryHeads,
                        keyHeads: shape.keyValueHeads, keyOffset: shape.queryWidth, inverse: true)
        Matmul.linearBackward(a.dqkv, input: layer.norm1, weight: w.qkvWeight, m: t, n: width, k: d,
                              dInput: a.dNorm, dWeight: g.qkvWeight, dBias: g.qkvBias)
        Normalization.layerNormBackward(a.dNorm, x: layer.input, weight: w.norm1Weight, statistics: layer.stats1,
                                        rows: t, width: d, dx: a.dx, dWeight: g.norm1Weight, dBias: g.norm1Bias)
    }

    /// The MLP branch and its LayerNorm: adds the branch's gradient with respect to
    /// `normInput` into `dx`.
    private static func mlpBackward(
        _ s: Shape, _ w: Block, _ g: Block, _ layer: Layer<UnsafeMutablePointer<Float>>, tokens t: Int,
        normInput: UnsafePointer<Float>, layout a: Layout<UnsafeMutablePointer<Float>>
    ) {
        let d = s.hidden, f = s.intermediate
        let act = a.activation
        s.activation.apply(layer.preActivation, into: act, count: t * f)
        // dW_down needs the activation; the same buffer then receives its gradient (the
        // product writing it runs after the one reading it).
        Matmul.linearBackward(a.dx, input: act, weight: w.downWeight, m: t, n: d, k: f,
                              dInput: act, dWeight: g.downWeight, dBias: g.downBias)
        s.activation.multiplyByDerivative(act, at: layer.preActivation, count: t * f)
        Matmul.linearBackward(act, input: layer.norm2, weight: w.upWeight, m: t, n: f, k: d,
                              dInput: a.dNorm, dWeight: g.upWeight, dBias: g.upBias)
        Normalization.layerNormBackward(a.dNorm, x: normInput, weight: w.norm2Weight, statistics: layer.stats2,
                                        rows: t, width: d, dx: a.dx, dWeight: g.norm2Weight, dBias: g.norm2Bias)
    }
}
