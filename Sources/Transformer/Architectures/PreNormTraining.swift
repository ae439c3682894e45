import Foundation

/// The training pass over a `PreNormDecoder` description: forward, loss and backward, with
/// `loss = Σ_targets CE(head · nf x_L)`.
///
/// The forward pass keeps, per layer, the block input, both norms' outputs and statistics, the
/// rotated `qkv`, the attention output and its log-sum-exp, the sequential residual's middle and
/// the MLP pre-activation; the MLP activation is recomputed in the backward pass. The sandwich
/// (Gemma-2) also keeps each branch's output before its post-norm, with the norm's statistics.
extension PreNormDecoder {
    struct Layer<P> {
        var input, norm1, stats1, qkv, attention, logSumExp, middle, norm2, stats2, preActivation: P
        var attentionBranch, attentionBranchStats, mlpBranch, mlpBranchStats: P
    }

    struct Layout<P> {
        var layers: [Layer<P>]
        var output, finalNorm, finalStats: P
        // Scratch for the backward pass and the loss.
        var dx, dNorm, dqkv, dAttention, activation, dGateUp, gathered, dGathered, logits, losses: P
        /// A branch's post-normed output (forward) or the gradient before its post-norm (backward).
        var branch: P
        /// LoRA: one adapter's `x·Aᵀ`, and `dU` of every adapter on one product.
        var lowRankU, lowRankDU: P
        /// LoRA dropout: one adapter's masked input, or its masked input gradient.
        var lowRankX: P
    }

    /// What the backward pass adds into: `scale` × the gradient of the summed loss, for the
    /// base parameters (`weights`; nil when they are frozen, as under LoRA) and for each
    /// block's adapters (`adapters`, laid out like the weights' adapters).
    struct Gradients {
        var scale: Float
        var weights: Weights?
        var adapters: [BlockAdapters?]? = nil
    }

    /// The arena's pieces. `checkpointed`: each layer keeps only its input, and one set of
    /// activation buffers serves whichever layer is being computed (forward, and again just
    /// before its backward), so activation memory is `layers × hidden` per token plus one
    /// layer's worth, at the price of a second forward pass per layer.
    static func layout<P>(_ s: Shape, tokens t: Int, targetRows r: Int, chunkRows: Int, lowRank: (u: Int, dU: Int, dropped: Int) = (0, 0, 0),
                          checkpointed: Bool = false, _ take: (Int) -> P) -> Layout<P> {
        let d = s.hidden, f = s.intermediate, up = s.gated ? 2 * f : f, sandwich = s.postNorms ? 1 : 0
        func activations(_ a: AttentionShape, input: P) -> Layer<P> {
            Layer(input: input, norm1: take(t * d), stats1: take(2 * t), qkv: take(t * a.fusedWidth),
                  attention: take(t * a.queryWidth), logSumExp: take(t * a.queryHeads),
                  middle: take(s.parallelResidual ? 0 : t * d), norm2: take(t * d), stats2: take(2 * t),
                  preActivation: take(t * up),
                  attentionBranch: take(sandwich * t * d), attentionBranchStats: take(sandwich * 2 * t),
                  mlpBranch: take(sandwich * t * d), mlpBranchStats: take(sandwich * 2 * t))
        }
        var layers: [Layer<P>] = []
        if checkpointed, let first = s.attention.first {
            // Every layer of these architectures has the same widths as the first.
            let inputs = s.attention.map { _ in take(t * d) }
            let shared = activations(first, input: inputs[0])
            layers = inputs.map { input in
                var layer = shared
                layer.input = input
                return layer
            }
        } else {
            for a in s.attention { layers.append(activations(a, input: take(t * d))) }
        }
        let widest = s.attention.map(\.fusedWidth).max() ?? 0, queryWidest = s.attention.map(\.queryWidth).max() ?? 0
        return Layout(
            layers: layers, output: take(t * d), finalNorm: take(t * d), finalStats: take(2 * t),
            dx: take(t * d), dNorm: take(t * d), dqkv: take(t * widest), dAttention: take(t * queryWidest),
            activation: take(t * f), dGateUp: take(s.gated ? t * up : 0), gathered: take(r * d), dGathered: take(r * d),
            logits: take(chunkRows * s.vocabulary), losses: take(r), branch: take(sandwich * t * d),
            lowRankU: take(t * lowRank.u), lowRankDU: take(t * lowRank.dU), lowRankX: take(t * lowRank.dropped))
    }

    /// Normalises `rows` rows of `x` into `y`, keeping per-row statistics for `normBackward`.
    private static func norm(_ s: Shape, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                             into y: UnsafeMutablePointer<Float>, rows: Int, statistics: UnsafeMutablePointer<Float>) {
        switch s.norm {
        case .layerNorm:
            Normalization.layerNorm(x, weight: weight, bias: bias, eps: s.eps, into: y, rows: rows, width: s.hidden, statistics: statistics)
        case let .rms(offset):
            Normalization.rmsNorm(x, weight: weight, offset: offset, eps: s.eps, into: y, rows: rows, width: s.hidden, statistics: statistics)
        }
    }

    /// Adds the norm's input gradient into `dx` and its parameter gradients into `dWeight`/`dBias`.
    private static func normBackward(
        _ s: Shape, _ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        statistics: UnsafePointer<Float>, rows: Int, dx: UnsafeMutablePointer<Float>,
        dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?
    ) {
        switch s.norm {
        case .layerNorm:
            Normalization.layerNormBackward(dy, x: x, weight: weight, statistics: statistics, rows: rows, width: s.hidden,
                                            dx: dx, dWeight: dWeight, dBias: dBias)
        case let .rms(offset):
            Normalization.rmsNormBackward(dy, x: x, weight: weight, offset: offset, statistics: statistics, rows: rows,
                                          width: s.hidden, dx: dx, dWeight: dWeight)
        }
    }

    /// The MLP's activation from its saved pre-activation.
    private static func activate(_ s: Shape, _ pre: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Int) {
        if s.gated {
            s.activation.applyGated(pre, into: out, rows: rows, width: s.intermediate)
        } else {
            s.activation.apply(pre, into: out, count: rows * s.intermediate)
        }
    }

    /// Forward pass, loss and, when `gradients` is given, the backward pass adding
    /// `scale × ∂(summed loss)` into the gradient pointers; `afterLayer(l)` is called as soon
    /// as block `l`'s parameter gradients are complete (blocks last to first), so their
    /// all-reduce can start during the rest of the backward pass.
    static func step<Matrix: TrainingMatrix>(
        _ batch: TrainingBatch, shape s: Shape, weights w: WeightsOf<Matrix>, gradients: Gradients?,
        embeddings: Embeddings, workspace: TrainingWorkspace, afterLayer: ((Int) -> Void)? = nil
    ) -> LossSum {
        let t = batch.tokens.count, d = s.hidden
        guard t > 0 else { return LossSum(bySequence: [Double](repeating: 0, count: batch.lengths.count)) }
        let sequences = batch.sequences
        let rows = batch.targetCount
        let chunk = CrossEntropy.chunkRows(vocabulary: s.vocabulary, rows: max(1, rows))
        let lowRank = lowRankScratch(w.blocks.map(\.adapters), inWidth: max(d, s.intermediate, s.attention.map(\.queryWidth).max() ?? 0))
        // Without a backward pass no layer's activations outlive it; with checkpointing they
        // are recomputed layer by layer in the backward pass.
        let checkpointed = gradients == nil || workspace.checkpointActivations
        var measure = ArenaCursor()
        _ = layout(s, tokens: t, targetRows: rows, chunkRows: chunk, lowRank: lowRank, checkpointed: checkpointed) { measure.take($0) }
        workspace.reserve(floats: measure.used, integers: 2 * t + 2 * rows)
        let base = workspace.floats
        var cursor = ArenaCursor()
        let a = layout(s, tokens: t, targetRows: rows, chunkRows: chunk, lowRank: lowRank, checkpointed: checkpointed) { base + cursor.take($0) }

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
                    activation: a.activation, branch: a.branch, lowRank: a.lowRankU, dropped: a.lowRankX, output: next, scratch: workspace.attention)
        }
        norm(s, a.output, weight: w.finalNormWeight, bias: w.finalNormBias, into: a.finalNorm, rows: t, statistics: a.finalStats)
        gatherRows(a.finalNorm, rows: targetRows, count: rows, width: d, into: a.gathered)
        // Per-row weights of the gradient, gathered like the targets (one small array a batch).
        let rowWeights: [Float]? = batch.targetWeights.map { weights in (0..<rows).map { weights[Int(targetRows[$0])] } }
        let sum = rowWeights.withOptionalBufferPointer { weights in
            CrossEntropy.loss(
                hidden: a.gathered, rows: rows, width: d, headMatrix: w.head, vocabulary: s.vocabulary, targets: targets,
                logits: a.logits, losses: a.losses, softCap: s.finalSoftCap,
                backward: gradients.map { CrossEntropy.Backward(scale: $0.scale, dHidden: a.dGathered, dHead: $0.weights?.head, rowWeights: weights) })
        }
        // Each sequence's share: target rows are in position order, so they walk the sequences.
        var bySequence = [Double](repeating: 0, count: sequences.count)
        var sequence = 0
        for i in 0..<rows {
            let position = Int(targetRows[i])
            while position >= sequences[sequence].start + sequences[sequence].count { sequence += 1 }
            bySequence[sequence] += Double(a.losses[i])
        }
        // Without target tokens the gradient is zero: nothing to add.
        guard let gradients, rows > 0 else { return LossSum(sum: sum, tokens: rows, bySequence: bySequence) }
        let g = gradients.weights

        // Rows without a target get no gradient from the loss.
        a.dNorm.update(repeating: 0, count: t * d)
        for i in 0..<rows { (a.dNorm + Int(targetRows[i]) * d).update(from: a.dGathered + i * d, count: d) }
        a.dx.update(repeating: 0, count: t * d)
        normBackward(s, a.dNorm, x: a.output, weight: w.finalNormWeight, statistics: a.finalStats, rows: t, dx: a.dx,
                     dWeight: g?.finalNormWeight, dBias: g?.finalNormBias)
        for l in stride(from: a.layers.count - 1, through: 0, by: -1) {
            if checkpointed {
                // The layer's activations again, from its kept input; the output (already
                // consumed) goes to the final output's buffer, free after the final norm.
                forward(s, attention: s.attention[l], w.blocks[l], a.layers[l], tokens: t, positions: positions, sequences: sequences,
                        activation: a.activation, branch: a.branch, lowRank: a.lowRankU, dropped: a.lowRankX, output: a.output, scratch: workspace.attention)
            }
            backward(s, attention: s.attention[l], w.blocks[l], g?.blocks[l], gradients.adapters?[l] ?? nil, a.layers[l], tokens: t,
                     positions: positions, sequences: sequences, layout: a, scratch: workspace.attention)
            afterLayer?(l)
        }
        embeddings.embedBackward(tokens, positions, t, a.dx)
        return LossSum(sum: sum, tokens: rows, bySequence: bySequence)
    }

    private static func gatherRows(_ x: UnsafePointer<Float>, rows: UnsafePointer<Int32>, count: Int, width: Int,
                                   into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count { (out + i * width).update(from: x + Int(rows[i]) * width, count: width) }
    }

    /// One block forward: reads `layer.input`, fills the layer's saved activations and writes
    /// the block's output to `output`. `activation` is `[tokens, intermediate]` scratch,
    /// `branch` `[tokens, hidden]` scratch for the sandwich.
    private static func forward<Matrix: TrainingMatrix>(
        _ s: Shape, attention shape: AttentionShape, _ w: BlockOf<Matrix>, _ layer: Layer<UnsafeMutablePointer<Float>>,
        tokens t: Int, positions: UnsafePointer<Int32>, sequences: [SequenceSpan],
        activation: UnsafeMutablePointer<Float>, branch: UnsafeMutablePointer<Float>, lowRank u: UnsafeMutablePointer<Float>,
        dropped: UnsafeMutablePointer<Float>, output y: UnsafeMutablePointer<Float>, scratch: AttentionScratch
    ) {
        let adapters = w.adapters ?? BlockAdapters()
        let d = s.hidden, f = s.intermediate, up = s.gated ? 2 * f : f, width = shape.fusedWidth
        let x = layer.input
        norm(s, x, weight: w.norm1Weight, bias: w.norm1Bias, into: layer.norm1, rows: t, statistics: layer.stats1)
        w.qkvWeight.trainingProduct(layer.norm1, into: layer.qkv, m: t, n: width, k: d, accumulate: false)
        if let b = w.qkvBias { Vector.addBias(b, to: layer.qkv, rows: t, width: width) }
        lowRankForward(adapters[.qkv], x: layer.norm1, rows: t, inWidth: d, into: layer.qkv, stride: width, scratch: u, dropped: dropped)
        s.rotary?.apply(layer.qkv, width: width, tokens: t, positions: positions, queryHeads: shape.queryHeads,
                        keyHeads: shape.keyValueHeads, keyOffset: shape.queryWidth)
        Attention.trainingForward(shape, qkv: layer.qkv, sequences: sequences, scratch: scratch,
                                  into: layer.attention, logSumExp: layer.logSumExp)
        y.update(from: x, count: t * d)
        if let post = w.postAttentionNormWeight {
            w.outWeight.trainingProduct(layer.attention, into: layer.attentionBranch, m: t, n: d, k: shape.queryWidth, accumulate: false)
            if let b = w.outBias { Vector.addBias(b, to: layer.attentionBranch, rows: t, width: d) }
            lowRankForward(adapters[.out], x: layer.attention, rows: t, inWidth: shape.queryWidth, into: layer.attentionBranch, stride: d, scratch: u, dropped: dropped)
            norm(s, layer.attentionBranch, weight: post, bias: nil, into: branch, rows: t, statistics: layer.attentionBranchStats)
            Vector.add(branch, into: y, count: t * d)
        } else {
            w.outWeight.trainingProduct(layer.attention, into: y, m: t, n: d, k: shape.queryWidth, accumulate: true)
            if let b = w.outBias { Vector.addBias(b, to: y, rows: t, width: d) }
            lowRankForward(adapters[.out], x: layer.attention, rows: t, inWidth: shape.queryWidth, into: y, stride: d, scratch: u, dropped: dropped)
        }
        // The MLP reads the block input (parallel) or the residual after attention (sequential).
        let mlpInput: UnsafeMutablePointer<Float>
        if s.parallelResidual {
            mlpInput = x
        } else {
            layer.middle.update(from: y, count: t * d)
            mlpInput = layer.middle
        }
        norm(s, mlpInput, weight: w.norm2Weight, bias: w.norm2Bias, into: layer.norm2, rows: t, statistics: layer.stats2)
        w.upWeight.trainingProduct(layer.norm2, into: layer.preActivation, m: t, n: up, k: d, accumulate: false)
        if let b = w.upBias { Vector.addBias(b, to: layer.preActivation, rows: t, width: up) }
        lowRankForward(adapters[.up], x: layer.norm2, rows: t, inWidth: d, into: layer.preActivation, stride: up, scratch: u, dropped: dropped)
        activate(s, layer.preActivation, into: activation, rows: t)
        if let post = w.postMLPNormWeight {
            w.downWeight.trainingProduct(activation, into: layer.mlpBranch, m: t, n: d, k: f, accumulate: false)
            if let b = w.downBias { Vector.addBias(b, to: layer.mlpBranch, rows: t, width: d) }
            lowRankForward(adapters[.down], x: activation, rows: t, inWidth: f, into: layer.mlpBranch, stride: d, scratch: u, dropped: dropped)
            norm(s, layer.mlpBranch, weight: post, bias: nil, into: branch, rows: t, statistics: layer.mlpBranchStats)
            Vector.add(branch, into: y, count: t * d)
        } else {
            w.downWeight.trainingProduct(activation, into: y, m: t, n: d, k: f, accumulate: true)
            if let b = w.downBias { Vector.addBias(b, to: y, rows: t, width: d) }
            lowRankForward(adapters[.down], x: activation, rows: t, inWidth: f, into: y, stride: d, scratch: u, dropped: dropped)
        }
    }

    /// The gradient entering a branch's last product: `dy` itself, or, behind a sandwich
    /// post-norm, `dy` taken back through that norm into `a.branch` (its weight's gradient
    /// added into `dWeight` unless frozen).
    private static func branchGradient(
        _ s: Shape, _ dy: UnsafeMutablePointer<Float>, postNorm: UnsafePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
        branchOutput: UnsafePointer<Float>, statistics: UnsafePointer<Float>, tokens t: Int,
        layout a: Layout<UnsafeMutablePointer<Float>>
    ) -> UnsafeMutablePointer<Float> {
        guard let postNorm else { return dy }
        a.branch.update(repeating: 0, count: t * s.hidden)
        normBackward(s, dy, x: branchOutput, weight: postNorm, statistics: statistics, rows: t, dx: a.branch,
                     dWeight: dWeight, dBias: nil)
        return a.branch
    }

    /// A product's backward with its adapters: the adapters' gradients (which read `x`), the
    /// base product's (`dWeight`/`dBias` nil when frozen; `dx` overwritten), then the
    /// adapters' share of `dx`.
    private static func productBackward<Matrix: TrainingMatrix>(
        _ dy: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, weight: Matrix, m t: Int, n: Int, k: Int,
        dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
        adapters: [LowRank], adapterGradients: [LowRank], layout a: Layout<UnsafeMutablePointer<Float>>
    ) {
        // Adapters in a backward pass are always the ones being trained (LowRankAdaptedModel).
        precondition(adapterGradients.count == adapters.count, "adapters attached to a backward pass must be trained")
        lowRankBackwardWeights(adapters, gradients: adapterGradients, x: x, rows: t, inWidth: k, dy: dy, stride: n,
                               scratch: a.lowRankU, dU: a.lowRankDU, dropped: a.lowRankX)
        if let dWeight {
            guard let values = weight.trainableValues else { preconditionFailure("a weight gradient needs fp32 weights") }
            Matmul.linearBackward(dy, input: x, weight: values, m: t, n: n, k: k, dInput: dx, dWeight: dWeight, dBias: dBias)
        } else {
            // A frozen weight (LoRA's base, fp32 or bf16): only the input's gradient.
            weight.inputGradient(dy, into: dx, m: t, n: n, k: k, accumulate: false)
            if let dBias { Vector.addColumnSums(dy, rows: t, width: n, into: dBias) }
        }
        lowRankBackwardInput(adapters, dU: a.lowRankDU, rows: t, inWidth: k, dx: dx, dropped: a.lowRankX)
    }

    /// One block backward. On entry `layout.dx` holds the gradient with respect to the block's
    /// output; on exit, with respect to its input. Parameter gradients are added into `g`
    /// (nil: the base is frozen) and adapter gradients into `ga`.
    private static func backward<Matrix: TrainingMatrix>(
        _ s: Shape, attention shape: AttentionShape, _ w: BlockOf<Matrix>, _ g: Block?, _ ga: BlockAdapters?,
        _ layer: Layer<UnsafeMutablePointer<Float>>, tokens t: Int, positions: UnsafePointer<Int32>, sequences: [SequenceSpan],
        layout a: Layout<UnsafeMutablePointer<Float>>, scratch: AttentionScratch
    ) {
        let d = s.hidden
        let adapters = w.adapters ?? BlockAdapters(), trained = ga ?? BlockAdapters()
        // Gradient through the attention output projection: reads dx as the block output's
        // gradient, so in the parallel block it must run before the MLP branch adds into dx.
        func outputProjection() {
            let dBranch = branchGradient(s, a.dx, postNorm: w.postAttentionNormWeight, dWeight: g?.postAttentionNormWeight,
                                         branchOutput: layer.attentionBranch, statistics: layer.attentionBranchStats,
                                         tokens: t, layout: a)
            productBackward(dBranch, input: layer.attention, weight: w.outWeight, m: t, n: d, k: shape.queryWidth,
                            dx: a.dAttention, dWeight: g?.outWeight, dBias: g?.outBias,
                            adapters: adapters[.out], adapterGradients: trained[.out], layout: a)
        }
        if s.parallelResidual {
            outputProjection()
            mlpBackward(s, w, g, adapters, trained, layer, tokens: t, normInput: layer.input, layout: a)
        } else {
            mlpBackward(s, w, g, adapters, trained, layer, tokens: t, normInput: layer.middle, layout: a)
            outputProjection()
        }
        let width = shape.fusedWidth
        Attention.trainingBackward(shape, qkv: layer.qkv, out: layer.attention, dOut: a.dAttention,
                                   logSumExp: layer.logSumExp, sequences: sequences, scratch: scratch, into: a.dqkv)
        s.rotary?.apply(a.dqkv, width: width, tokens: t, positions: positions, queryHeads: shape.queryHeads,
                        keyHeads: shape.keyValueHeads, keyOffset: shape.queryWidth, inverse: true)
        productBackward(a.dqkv, input: layer.norm1, weight: w.qkvWeight, m: t, n: width, k: d,
                        dx: a.dNorm, dWeight: g?.qkvWeight, dBias: g?.qkvBias,
                        adapters: adapters[.qkv], adapterGradients: trained[.qkv], layout: a)
        normBackward(s, a.dNorm, x: layer.input, weight: w.norm1Weight, statistics: layer.stats1, rows: t, dx: a.dx,
                     dWeight: g?.norm1Weight, dBias: g?.norm1Bias)
    }

    /// The MLP branch and its LayerNorm: adds the branch's gradient with respect to
    /// `normInput` into `dx`.
    private static func mlpBackward<Matrix: TrainingMatrix>(
        _ s: Shape, _ w: BlockOf<Matrix>, _ g: Block?, _ adapters: BlockAdapters, _ trained: BlockAdapters,
        _ layer: Layer<UnsafeMutablePointer<Float>>, tokens t: Int,
        normInput: UnsafePointer<Float>, layout a: Layout<UnsafeMutablePointer<Float>>
    ) {
        let d = s.hidden, f = s.intermediate
        let act = a.activation
        activate(s, layer.preActivation, into: act, rows: t)
        let dBranch = branchGradient(s, a.dx, postNorm: w.postMLPNormWeight, dWeight: g?.postMLPNormWeight,
                                     branchOutput: layer.mlpBranch, statistics: layer.mlpBranchStats, tokens: t, layout: a)
        // dW_down needs the activation; the same buffer then receives its gradient (the
        // product writing it runs after the ones reading it).
        productBackward(dBranch, input: act, weight: w.downWeight, m: t, n: d, k: f, dx: act,
                        dWeight: g?.downWeight, dBias: g?.downBias,
                        adapters: adapters[.down], adapterGradients: trained[.down], layout: a)
        let dUp: UnsafeMutablePointer<Float>
        if s.gated {
            s.activation.gatedBackward(act, gateUp: layer.preActivation, into: a.dGateUp, rows: t, width: f)
            dUp = a.dGateUp
        } else {
            s.activation.multiplyByDerivative(act, at: layer.preActivation, count: t * f)
            dUp = act
        }
        productBackward(dUp, input: layer.norm2, weight: w.upWeight, m: t, n: s.gated ? 2 * f : f, k: d,
                        dx: a.dNorm, dWeight: g?.upWeight, dBias: g?.upBias,
                        adapters: adapters[.up], adapterGradients: trained[.up], layout: a)
        normBackward(s, a.dNorm, x: normInput, weight: w.norm2Weight, statistics: layer.stats2, rows: t, dx: a.dx,
                     dWeight: g?.norm2Weight, dBias: g?.norm2Bias)
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's elements, or nil when there is no array.
    func withOptionalBufferPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
