import Foundation

/// AdamW over one flat fp32 parameter buffer (a `ParameterStore` arena), with the semantics
/// of `torch.optim.AdamW` (`amsgrad=False`, `maximize=False`, the single-tensor, non-fused
/// implementation torch uses on CPU).
///
/// For step t = 1, 2, … with learning rate `lr` and gradient `g`, per element:
///
///     p ← p · (1 − lr·wd)                      decoupled weight decay, before the Adam update
///     m ← m + (1 − β1)·(g − m)                 torch's `lerp_`, i.e. β1·m + (1 − β1)·g
///     v ← v·β2 + (1 − β2)·g·g
///     denom = sqrt(v) / sqrt(1 − β2^t) + eps   eps added after the bias correction, as torch
///     p ← p − (lr / (1 − β1^t)) · m / denom
///
/// The scalar factors are computed in Double, as Python computes them, and rounded to fp32
/// once, as torch does when an fp32 tensor meets a Python scalar; the element-wise work is
/// fp32 in torch's order of operations, so results agree with torch to an ulp or so.
///
/// Parameters in `noDecayRanges` (arena offsets) get weight decay 0, like the second
/// parameter group transformers' Trainer builds for biases and norm weights (see
/// `WeightDecayMask`). The moments are two buffers of the arena's size, allocated once; a
/// step allocates nothing and splits the arena over `KernelThreads`.
public final class AdamW: @unchecked Sendable {
    /// torch's hyperparameters; the defaults are `torch.optim.AdamW`'s.
    public struct Hyperparameters: Sendable, Equatable {
        public var beta1: Double
        public var beta2: Double
        public var eps: Double
        public var weightDecay: Double

        public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.01) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
        }
    }

    /// Number of floats in the parameter (and gradient) buffer.
    public let count: Int
    public var hyperparameters: Hyperparameters
    /// Steps taken so far (torch's `state["step"]`); the next step uses `stepCount + 1`.
    public private(set) var stepCount = 0
    /// Merged, sorted arena ranges with weight decay 0.
    public let noDecayRanges: [Range<Int>]

    /// First moment `m` (torch's `exp_avg`), `count` floats.
    public let firstMoment: UnsafeMutablePointer<Float>
    /// Second moment `v` (torch's `exp_avg_sq`), `count` floats.
    public let secondMoment: UnsafeMutablePointer<Float>

    /// The arena cut into consecutive pieces that either all decay or all do not, so the
    /// update loop decides once per piece rather than once per element.
    private let segments: [(range: Range<Int>, decays: Bool)]

    /// - Parameters:
    ///   - count: floats in the parameter buffer.
    ///   - noDecay: arena ranges that get weight decay 0 (clipped to the buffer; may overlap
    ///     or be unsorted).
    public init(count: Int, hyperparameters: Hyperparameters = Hyperparameters(), noDecay: [Range<Int>] = []) {
        precondition(count >= 0)
        self.count = count
        self.hyperparameters = hyperparameters
        noDecayRanges = Self.merged(noDecay, within: 0..<count)
        var segments: [(range: Range<Int>, decays: Bool)] = []
        var at = 0
        for r in noDecayRanges {
            if at < r.lowerBound { segments.append((at..<r.lowerBound, true)) }
            segments.append((r, false))
            at = r.upperBound
        }
        if at < count { segments.append((at..<count, true)) }
        self.segments = segments
        // Zeroed: torch starts both moments at zero.
        firstMoment = .allocate(capacity: max(1, count))
        firstMoment.initialize(repeating: 0, count: max(1, count))
        secondMoment = .allocate(capacity: max(1, count))
        secondMoment.initialize(repeating: 0, count: max(1, count))
    }

    /// An optimizer for `store`'s arena with transformers' no-decay rule applied to its
    /// parameter names (`WeightDecayMask.noDecayRanges`).
    public convenience init(store: ParameterStore, hyperparameters: Hyperparameters = Hyperparameters()) {
        self.init(count: store.count, hyperparameters: hyperparameters, noDecay: WeightDecayMask.noDecayRanges(store.specs))
    }

    deinit {
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    /// Forgets all state (moments and step count), as a freshly built torch optimizer.
    public func reset() {
        firstMoment.update(repeating: 0, count: max(1, count))
        secondMoment.update(repeating: 0, count: max(1, count))
        stepCount = 0
    }

    /// Sets the number of steps already taken, after the moments were restored from a saved
    /// run (torch's `load_state_dict` restores `state["step"]` with them), so the bias
    /// corrections continue where they were.
    public func restoreStepCount(_ steps: Int) {
        precondition(steps >= 0, "a step count cannot be negative")
        stepCount = steps
    }

    /// One optimizer step on `store`'s arena.
    public func step(_ store: ParameterStore, gradients: UnsafePointer<Float>, learningRate: Double) {
        precondition(store.count == count, "optimizer built for \(count) floats, store has \(store.count)")
        step(parameters: store.base, gradients: gradients, learningRate: learningRate)
    }

    /// One optimizer step: updates `parameters` (and the moments) from `gradients`, both
    /// `count` floats, with learning rate `learningRate` (e.g. from a `LearningRateSchedule`).
    public func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, learningRate lr: Double) {
        stepCount += 1
        let h = hyperparameters
        let t = Double(stepCount)
        // Python scalars, in Double, as `_single_tensor_adam` computes them.
        let biasCorrection1 = 1 - pow(h.beta1, t)
        let biasCorrection2 = 1 - pow(h.beta2, t)
        let constants = StepConstants(
            decayFactor: Float(1 - lr * h.weightDecay),
            oneMinusBeta1: Float(1 - h.beta1),
            beta2: Float(h.beta2),
            oneMinusBeta2: Float(1 - h.beta2),
            biasCorrection2Sqrt: Float(pow(biasCorrection2, 0.5)),
            eps: Float(h.eps),
            negativeStepSize: Float(-(lr / biasCorrection1)))
        // torch skips the multiply when weight_decay is 0; multiplying by 1 would be exact
        // anyway, so this only saves the work.
        let anyDecay = h.weightDecay != 0
        let m = firstMoment, v = secondMoment, segments = segments
        KernelThreads.forRanges(count, grain: 1 << 14) { range in
            // First segment ending after the range's start (segments are few and sorted).
            var lo = 0, hi = segments.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if segments[mid].range.upperBound <= range.lowerBound { lo = mid + 1 } else { hi = mid }
            }
            var s = lo
            while s < segments.count, segments[s].range.lowerBound < range.upperBound {
                let piece = segments[s].range.clamped(to: range)
                Self.update(parameters + piece.lowerBound, gradients + piece.lowerBound,
                            m + piece.lowerBound, v + piece.lowerBound, count: piece.count,
                            decays: anyDecay && segments[s].decays, constants)
                s += 1
            }
        }
    }

    /// The fp32 scalars of one step.
    private struct StepConstants {
        var decayFactor: Float
        var oneMinusBeta1: Float
        var beta2: Float
        var oneMinusBeta2: Float
        var biasCorrection2Sqrt: Float
        var eps: Float
        var negativeStepSize: Float
    }

    /// The element-wise update over `n` consecutive elements, eight lanes at a time. Each
    /// operation mirrors torch's CPU kernel: `lerp_` is a fused multiply-add
    /// (`fmadd(weight, end - self, self)` for weights below 0.5), `addcmul_` is
    /// `self + (value·t1)·t2`, `addcdiv_` is `self + (value·t1)/t2`.
    @inline(__always)
    private static func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                               _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                               count n: Int, decays: Bool, _ c: StepConstants) {
        typealias V8 = SIMD8<Float>
        let pr = UnsafeMutableRawPointer(p), gr = UnsafeRawPointer(g)
        let mr = UnsafeMutableRawPointer(m), vr = UnsafeMutableRawPointer(v)
        let decay8 = V8(repeating: c.decayFactor), w8 = V8(repeating: c.oneMinusBeta1)
        let b2 = V8(repeating: c.beta2), c2 = V8(repeating: c.oneMinusBeta2)
        let bc2 = V8(repeating: c.biasCorrection2Sqrt), eps8 = V8(repeating: c.eps)
        let step8 = V8(repeating: c.negativeStepSize)
        var i = 0
        while i + 8 <= n {
            let o = i * 4
            var pv = pr.loadUnaligned(fromByteOffset: o, as: V8.self)
            let gv = gr.loadUnaligned(fromByteOffset: o, as: V8.self)
            var mv = mr.loadUnaligned(fromByteOffset: o, as: V8.self)
            var vv = vr.loadUnaligned(fromByteOffset: o, as: V8.self)
            if decays { pv *= decay8 }
            mv = mv.addingProduct(w8, gv - mv)
            vv = vv * b2
            vv = vv + (c2 * gv) * gv
            let denom = vv.squareRoot() / bc2 + eps8
            pv = pv + (step8 * mv) / denom
            pr.storeBytes(of: pv, toByteOffset: o, as: V8.self)
            mr.storeBytes(of: mv, toByteOffset: o, as: V8.self)
            vr.storeBytes(of: vv, toByteOffset: o, as: V8.self)
            i += 8
        }
        while i < n {
            var pv = p[i]
            let gv = g[i]
            if decays { pv *= c.decayFactor }
            let mv = m[i].addingProduct(c.oneMinusBeta1, gv - m[i])
            var vv = v[i] * c.beta2
            vv = vv + (c.oneMinusBeta2 * gv) * gv
            let denom = vv.squareRoot() / c.biasCorrection2Sqrt + c.eps
            pv = pv + (c.negativeStepSize * mv) / denom
            p[i] = pv
            m[i] = mv
            v[i] = vv
            i += 1
        }
    }

    /// `ranges` clipped to `bounds`, sorted, with overlapping or touching ranges merged.
    private static func merged(_ ranges: [Range<Int>], within bounds: Range<Int>) -> [Range<Int>] {
        let clipped = ranges.map { $0.clamped(to: bounds) }.filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        var result: [Range<Int>] = []
        for r in clipped {
            if let last = result.last, r.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                result.append(r)
            }
        }
        return result
    }
}
