import Foundation

/// Random initialisation for training from scratch, reproducible anywhere: every value is a
/// function of (seed, parameter index, element index) through `CounterRandom`, so the result
/// does not depend on thread count, machine or the order work is done in.
public enum ParameterInitialization {
    /// How one parameter starts.
    public enum Rule: Sendable, Equatable {
        /// Normal(0, σ), by the Box-Muller transform of two counter-based uniforms (one pair
        /// of uniforms gives two consecutive elements).
        case normal(standardDeviation: Double)
        /// Uniform on `[-bound, bound)` (PyTorch's `kaiming_uniform_` gives LoRA's A this way).
        case uniform(bound: Double)
        case zeros
        case ones
    }

    /// Fills every parameter of `store` as `rule` says for its spec.
    public static func fill(_ store: ParameterStore, seed: UInt64, rule: (ParameterSpec) -> Rule) {
        let random = CounterRandom(seed: seed)
        for (index, spec) in store.specs.enumerated() {
            let p = store.pointer(spec.name), n = spec.count
            switch rule(spec) {
            case .zeros: p.update(repeating: 0, count: n)
            case .ones: p.update(repeating: 1, count: n)
            case let .uniform(bound):
                KernelThreads.forRanges(n, grain: 1 << 12) { range in
                    for k in range { p[k] = Float((2 * random.uniform(sequence: index, step: k) - 1) * bound) }
                }
            case let .normal(std):
                let pairs = (n + 1) / 2
                KernelThreads.forRanges(pairs, grain: 1 << 12) { range in
                    for k in range {
                        let u1 = random.uniform(sequence: index, step: 2 * k)
                        let u2 = random.uniform(sequence: index, step: 2 * k + 1)
                        // 1 - u1 lies in (0, 1], so the logarithm is finite.
                        let radius = (-2 * log(1 - u1)).squareRoot() * std
                        let angle = 2 * Double.pi * u2
                        p[2 * k] = Float(radius * cos(angle))
                        if 2 * k + 1 < n { p[2 * k + 1] = Float(radius * sin(angle)) }
                    }
                }
            }
        }
    }
}

extension ParameterInitialization {
    /// transformers' `_init_weights` of a decoder: `nn.Linear` and `nn.Embedding` weights
    /// normal(0, `initializerRange`, or 0.02 when it is 0), biases 0, and the norm weights
    /// (`isNormWeight` of the name) as `norm` says.
    static func decoder(_ store: ParameterStore, seed: UInt64, initializerRange: Double, norm: Rule,
                        isNormWeight: (String) -> Bool) {
        let std = initializerRange == 0 ? 0.02 : initializerRange
        fill(store, seed: seed) { spec in
            if spec.name.hasSuffix(".bias") { return .zeros }
            if isNormWeight(spec.name) { return norm }
            return .normal(standardDeviation: std)
        }
    }
}
