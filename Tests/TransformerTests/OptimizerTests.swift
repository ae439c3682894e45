import XCTest
import TestSupport
@testable import Transformer

/// The optimizer side of training against torch and transformers
/// (fixture: scripts/fixtures/make_optimizer_fixtures.py).
final class OptimizerTests: XCTestCase {
    struct Fixture {
        var specs: [ParameterSpec]
        var decays: [Bool]
        var initial: [Float]
        var steps: [(grad: [Float], gradNorm: Double, lr: Double, params: [Float])]
        var config: [String: Double]
        var schedules: [String: Any]
    }

    func loadFixture() throws -> Fixture {
        let json = try XCTUnwrap(loadGzipJSON("optimizer/adamw.json.gz") as? [String: Any])
        func floats(_ any: Any?) throws -> [Float] { try XCTUnwrap(any as? [Double]).map { Float($0) } }
        func hex(_ any: Any?) throws -> Double { try XCTUnwrap(Double(try XCTUnwrap(any as? String))) }
        let parameters = try XCTUnwrap(json["parameters"] as? [[String: Any]])
        let specs = try parameters.map { ParameterSpec(try XCTUnwrap($0["name"] as? String), try XCTUnwrap($0["shape"] as? [Int])) }
        let decays = try parameters.map { try XCTUnwrap($0["decay"] as? Bool) }
        let steps = try XCTUnwrap(json["steps"] as? [[String: Any]]).map { step in
            (grad: try floats(step["grad"]), gradNorm: try XCTUnwrap(step["grad_norm"] as? Double),
             lr: try hex(step["lr"]), params: try floats(step["params"]))
        }
        return Fixture(specs: specs, decays: decays, initial: try floats(json["initial"]), steps: steps,
                       config: try XCTUnwrap(json["config"] as? [String: Double]),
                       schedules: try XCTUnwrap(json["schedules"] as? [String: Any]))
    }

    /// Ten steps of clip → AdamW (with transformers' no-decay group) → linear schedule, from
    /// the same initial parameters and raw gradients as torch.
    func testAdamWMatchesTorchStepByStep() throws {
        let f = try loadFixture()
        let store = ParameterStore(specs: f.specs)
        XCTAssertEqual(store.count, f.initial.count)
        store.base.update(from: f.initial, count: store.count)
        let c = f.config
        let optimizer = AdamW(store: store, hyperparameters: .init(beta1: c["beta1"]!, beta2: c["beta2"]!, eps: c["eps"]!,
                                                                    weightDecay: c["weight_decay"]!))
        let schedule = LearningRateSchedule.linear(warmupSteps: Int(c["warmup_steps"]!), totalSteps: Int(c["total_steps"]!))
        var grad = [Float](repeating: 0, count: store.count)
        var worstParam: Float = 0, worstNorm = 0.0, worstLR = 0.0
        var everClipped = false, everUnclipped = false
        for (t, step) in f.steps.enumerated() {
            grad = step.grad
            let norm = grad.withUnsafeMutableBufferPointer { clipGradNorm($0.baseAddress!, count: $0.count, maxNorm: Float(c["max_norm"]!)) }
            if norm > 1 { everClipped = true } else { everUnclipped = true }
            let relative = abs(Double(norm) - step.gradNorm) / step.gradNorm
            worstNorm = max(worstNorm, relative)
            XCTAssertLessThanOrEqual(relative, 1e-5, "grad norm at step \(t)")
            let lr = schedule.learningRate(base: c["lr"]!, atStep: t)
            worstLR = max(worstLR, abs(lr - step.lr))
            XCTAssertEqual(lr, step.lr, accuracy: 1e-15 * c["lr"]!, "lr at step \(t)")
            grad.withUnsafeBufferPointer { optimizer.step(store, gradients: $0.baseAddress!, learningRate: lr) }
            XCTAssertEqual(optimizer.stepCount, t + 1)
            var diff: Float = 0
            for i in 0..<store.count { diff = max(diff, abs(store.base[i] - step.params[i])) }
            worstParam = max(worstParam, diff)
            XCTAssertLessThanOrEqual(diff, 1e-6, "parameters after step \(t)")
        }
        XCTAssertTrue(everClipped && everUnclipped, "the fixture should exercise both sides of the clip")
        // The parameters actually moved (a no-op optimizer would fail above, but say so plainly).
        var moved: Float = 0
        for i in 0..<store.count { moved = max(moved, abs(store.base[i] - f.initial[i])) }
        XCTAssertGreaterThan(moved, 1e-3)
        print("AdamW vs torch: max |Δparam| \(worstParam), max rel Δgrad_norm \(worstNorm), max |Δlr| \(worstLR)")
    }

    /// On an arena large enough to be split across workers, with no-decay ranges that cross
    /// the split points and lengths that are not multiples of eight, the parallel SIMD step
    /// equals a plain scalar loop of the same fp32 operations, whatever the worker count.
    func testParallelStepEqualsScalarReference() {
        let n = 100_003
        let noDecay = [5..<17, 33_330..<33_350, 50_000..<50_001, 66_660..<70_003, 99_999..<100_003]
        let h = AdamW.Hyperparameters(beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        let initial = (0..<n).map { Float(($0 * 37) % 1009) / 500 - 1 }
        func gradient(_ step: Int) -> [Float] { (0..<n).map { Float((($0 + 13 * step) * 53) % 997) / 300 - 1.6 } }
        let lrs = [0.0, 3e-4, 1e-3, 7e-4]

        func run(threads: Int) -> [Float] {
            let saved = KernelThreads.count
            KernelThreads.count = threads
            defer { KernelThreads.count = saved }
            var p = initial
            let optimizer = AdamW(count: n, hyperparameters: h, noDecay: noDecay)
            for (t, lr) in lrs.enumerated() {
                let g = gradient(t)
                p.withUnsafeMutableBufferPointer { pp in
                    g.withUnsafeBufferPointer { optimizer.step(parameters: pp.baseAddress!, gradients: $0.baseAddress!, learningRate: lr) }
                }
            }
            return p
        }

        // The reference: torch's single-tensor formulas, one element at a time.
        var p = initial, m = [Float](repeating: 0, count: n), v = [Float](repeating: 0, count: n)
        for (t, lr) in lrs.enumerated() {
            let g = gradient(t)
            let step = Double(t + 1)
            let bc1 = 1 - pow(h.beta1, step), bc2 = 1 - pow(h.beta2, step)
            for i in 0..<n {
                if !noDecay.contains(where: { $0.contains(i) }) { p[i] *= Float(1 - lr * h.weightDecay) }
                m[i] = m[i].addingProduct(Float(1 - h.beta1), g[i] - m[i])
                v[i] = v[i] * Float(h.beta2) + (Float(1 - h.beta2) * g[i]) * g[i]
                let denom = v[i].squareRoot() / Float(pow(bc2, 0.5)) + Float(h.eps)
                p[i] = p[i] + (Float(-(lr / bc1)) * m[i]) / denom
            }
        }
        let one = run(threads: 1)
        XCTAssertEqual(one, p)
        XCTAssertEqual(run(threads: 2), one)
        XCTAssertEqual(run(threads: 7), one)
    }

    /// Weight decay only touches the parameters outside the no-decay ranges: with zero
    /// gradients Adam's update is zero, so only the decay moves anything.
    func testWeightDecayRespectsMask() {
        let n = 40
        var p = (0..<n).map { Float($0 + 1) }
        let g = [Float](repeating: 0, count: n)
        let optimizer = AdamW(count: n, hyperparameters: .init(weightDecay: 0.5), noDecay: [10..<20, 15..<25, 38..<60])
        XCTAssertEqual(optimizer.noDecayRanges, [10..<25, 38..<40])
        p.withUnsafeMutableBufferPointer { pp in
            g.withUnsafeBufferPointer { optimizer.step(parameters: pp.baseAddress!, gradients: $0.baseAddress!, learningRate: 0.1) }
        }
        for i in 0..<n {
            let excluded = (10..<25).contains(i) || i >= 38
            XCTAssertEqual(p[i], excluded ? Float(i + 1) : Float(i + 1) * Float(1 - 0.1 * 0.5), "element \(i)")
        }
    }

    /// The name rule gives exactly the parameter groups transformers' Trainer built.
    func testNoDecayMaskFromNamesMatchesTrainer() throws {
        let f = try loadFixture()
        for (spec, decays) in zip(f.specs, f.decays) {
            XCTAssertEqual(!WeightDecayMask.isExcluded(spec.name), decays, spec.name)
        }
        var expected: [Int] = []
        var offset = 0
        for (spec, decays) in zip(f.specs, f.decays) {
            if !decays { expected += Array(offset..<(offset + spec.count)) }
            offset += spec.count
        }
        let ranges = WeightDecayMask.noDecayRanges(f.specs)
        XCTAssertEqual(ranges.flatMap { Array($0) }, expected)
        // The engine's own names.
        for name in ["transformer.h.0.ln_1.weight", "transformer.ln_f.bias", "model.norm.weight",
                     "model.layers.3.post_attention_layernorm.weight", "gpt_neox.final_layer_norm.weight",
                     "model.layers.0.pre_feedforward_layernorm.weight", "transformer.h.1.attn.c_attn.bias"] {
            XCTAssertTrue(WeightDecayMask.isExcluded(name), name)
        }
        for name in ["transformer.wte.weight", "model.layers.0.self_attn.q_proj.weight", "lm_head.weight",
                     "gpt_neox.embed_in.weight", "transformer.h.0.mlp.c_fc.weight"] {
            XCTAssertFalse(WeightDecayMask.isExcluded(name), name)
        }
    }

    /// transformers' three schedules, read back from real schedulers, steps 0...30.
    func testSchedulesMatchTransformers() throws {
        let s = try loadFixture().schedules
        let warmup = try XCTUnwrap(s["warmup_steps"] as? Int), total = try XCTUnwrap(s["total_steps"] as? Int)
        let cases: [(String, LearningRateSchedule)] = [
            ("linear", .linear(warmupSteps: warmup, totalSteps: total)),
            ("cosine", .cosine(warmupSteps: warmup, totalSteps: total)),
            ("constant", .constant(warmupSteps: warmup)),
        ]
        var worst = 0.0
        for (name, schedule) in cases {
            // Hex floats (see the fixture script): exact doubles.
            let expected = try XCTUnwrap(s[name] as? [String]).map { try XCTUnwrap(Double($0), $0) }
            XCTAssertEqual(expected.count, 31)
            for (step, value) in expected.enumerated() {
                let got = schedule.multiplier(atStep: step)
                worst = max(worst, abs(got - value))
                XCTAssertEqual(got, value, accuracy: 1e-7, "\(name) at step \(step)")
            }
        }
        print("schedules vs transformers: max |Δ| \(worst)")
    }

    /// Clipping leaves small gradients alone, scales large ones to norm maxNorm, and reports
    /// the norm before clipping.
    func testClipGradNorm() {
        var small: [Float] = [0.3, -0.4]
        let n1 = small.withUnsafeMutableBufferPointer { clipGradNorm($0.baseAddress!, count: 2, maxNorm: 1) }
        XCTAssertEqual(n1, 0.5, accuracy: 1e-7)
        XCTAssertEqual(small, [0.3, -0.4])
        var big = (0..<100_003).map { Float(($0 % 17) - 8) }
        let expected = big.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let n2 = big.withUnsafeMutableBufferPointer { clipGradNorm($0.baseAddress!, count: $0.count, maxNorm: 2) }
        XCTAssertEqual(Double(n2), expected, accuracy: expected * 1e-7)
        let after = big.withUnsafeBufferPointer { gradientL2Norm($0.baseAddress!, count: $0.count) }
        XCTAssertEqual(after, 2, accuracy: 1e-5)
    }

    /// Summing N micro-batch gradients and averaging gives their mean; N = 1 is the identity.
    func testGradientAccumulationAverages() {
        let n = 70_001, micro = 4
        let batches: [[Float]] = (0..<micro).map { (b: Int) -> [Float] in
            (0..<n).map { (i: Int) -> Float in
                let k: Int = (i * 31 + b * 7) % 101
                return Float(k) / 10 - 5
            }
        }
        var acc = [Float](repeating: 0, count: n)
        for batch in batches {
            batch.withUnsafeBufferPointer { g in acc.withUnsafeMutableBufferPointer { GradientAccumulation.add(g.baseAddress!, into: $0.baseAddress!, count: n) } }
        }
        acc.withUnsafeMutableBufferPointer { GradientAccumulation.average($0.baseAddress!, count: n, microBatches: micro) }
        for i in stride(from: 0, to: n, by: 97) {
            let mean = batches.reduce(0.0) { $0 + Double($1[i]) } / Double(micro)
            XCTAssertEqual(Double(acc[i]), mean, accuracy: 1e-6, "element \(i)")
        }
        var one: [Float] = [1.5, -2.25]
        one.withUnsafeMutableBufferPointer { GradientAccumulation.average($0.baseAddress!, count: 2, microBatches: 1) }
        XCTAssertEqual(one, [1.5, -2.25])
        var three: [Float] = [3, -6]
        three.withUnsafeMutableBufferPointer { GradientAccumulation.average($0.baseAddress!, count: 2, microBatches: 3) }
        XCTAssertEqual(three[0], 1, accuracy: 1e-7)
        XCTAssertEqual(three[1], -2, accuracy: 1e-7)
    }
}
