import Foundation

/// UMAP's layout by stochastic gradient descent (umap-learn's `optimize_layout_euclidean`,
/// single-threaded as umap-learn runs it when given a random state).
///
/// Edge e of weight w_e is sampled every epochs_per_sample_e = max(w) / w_e epochs (so the
/// heaviest edges every epoch), which draws edges in proportion to their weight without
/// multiplying gradients by it. A sampled edge (i, j) pulls i and j together by the gradient
/// of log(1 / (1 + a d^2b)); then `negativeSampleRate` random vertices k per sample (counted
/// with the same fractional schedule) push i away by the gradient of log(1 - 1 / (1 + a d^2b))
/// with 0.001 added to d^2 against division by zero. Each coordinate's step is clipped to
/// [-4, 4] and scaled by a learning rate that decays linearly from its initial value, updated
/// after each epoch as umap-learn does. Coordinates are float32, as in umap-learn.
///
/// With `moveOther` false (placing new points into a fitted map) only the head vertex moves
/// and the tails are the fitted points, which stay put.
struct UMAPLayoutOptimizer {
    let curve: UMAPCurve
    let negativeSampleRate: Int
    let repulsionStrength: Double

    /// Runs `epochs` epochs. `head` holds the moving points (`headCount x dim`), `tail` the
    /// points edges lead to (`tailCount x dim`; the same storage as `head` in a fit). Edges:
    /// `heads[e] -> tails[e]` sampled every `epochsPerSample[e]` epochs.
    func optimize(head: UnsafeMutablePointer<Float>, tail: UnsafeMutablePointer<Float>, tailCount: Int, dimensions dim: Int,
                  heads: [Int32], tails: [Int32], epochsPerSample: [Double], epochs: Int, initialAlpha: Double,
                  moveOther: Bool, rng: inout UMAPRandom) {
        let edges = heads.count
        precondition(tails.count == edges && epochsPerSample.count == edges && tailCount > 0)
        let rate = Double(negativeSampleRate)
        let nextSample = UnsafeMutablePointer<Double>.allocate(capacity: max(1, edges))
        let perNegative = UnsafeMutablePointer<Double>.allocate(capacity: max(1, edges))
        let nextNegative = UnsafeMutablePointer<Double>.allocate(capacity: max(1, edges))
        defer { nextSample.deallocate(); perNegative.deallocate(); nextNegative.deallocate() }
        for e in 0..<edges {
            nextSample[e] = epochsPerSample[e]
            perNegative[e] = epochsPerSample[e] / rate
            nextNegative[e] = perNegative[e]
        }
        let a = Float(curve.a), b = Float(curve.b)
        let attract = -2 * a * b, repel = Float(2 * repulsionStrength) * b
        var alpha = Float(initialAlpha)
        heads.withUnsafeBufferPointer { hp in
        tails.withUnsafeBufferPointer { tp in
        epochsPerSample.withUnsafeBufferPointer { ep in
            for n in 0..<epochs {
                let epoch = Double(n)
                for e in 0..<edges where nextSample[e] <= epoch {
                    let j = Int(hp[e]), k = Int(tp[e])
                    let current = head + j * dim
                    var other = tail + k * dim
                    var d2 = squaredDistance(current, other, dim)
                    var coefficient: Float = 0
                    if d2 > 0 {
                        let p = pow(d2, b)  // d^2b; d^(2b-2) is p / d2
                        coefficient = attract * (p / d2) / (a * p + 1)
                    }
                    for d in 0..<dim {
                        let g = clip(coefficient * (current[d] - other[d]))
                        current[d] += g * alpha
                        if moveOther { other[d] -= g * alpha }
                    }
                    nextSample[e] += ep[e]
                    // Negative samples owed by now (truncated toward zero, as umap-learn's int();
                    // it can be -1 in the first epoch, which then moves the schedule back).
                    let owed = Int((epoch - nextNegative[e]) / perNegative[e])
                    var p = 0
                    while p < owed {
                        p += 1
                        let r = rng.index(tailCount)
                        other = tail + r * dim
                        d2 = squaredDistance(current, other, dim)
                        if d2 > 0 {
                            coefficient = repel / ((0.001 + d2) * (a * pow(d2, b) + 1))
                        } else {
                            // At distance 0 (the point itself, or a duplicate) there is no direction.
                            continue
                        }
                        for d in 0..<dim { current[d] += clip(coefficient * (current[d] - other[d])) * alpha }
                    }
                    nextNegative[e] += Double(owed) * perNegative[e]
                }
                alpha = Float(initialAlpha * (1 - epoch / Double(epochs)))
            }
        }}}
    }

    @inline(__always) func clip(_ v: Float) -> Float { v > 4 ? 4 : (v < -4 ? -4 : v) }

    @inline(__always) func squaredDistance(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ dim: Int) -> Float {
        var s: Float = 0
        for d in 0..<dim {
            let t = x[d] - y[d]
            s += t * t
        }
        return s
    }

    /// Epochs between samples of each edge: max(w) / w (umap-learn's `make_epochs_per_sample`;
    /// -1, never, for weight 0).
    static func epochsPerSample(_ weights: [Float], epochs: Int) -> [Double] {
        let top = Double(weights.max() ?? 0)
        return weights.map { w in
            let samples = Double(epochs) * (Double(w) / top)
            return samples > 0 ? Double(epochs) / samples : -1
        }
    }
}
