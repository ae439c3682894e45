import Foundation

/// Classifier-free guidance (Ho & Salimans 2022; for language models Sanchez et al. 2023,
/// "Stay on topic with Classifier-Free Guidance"): each step samples from
/// `u + γ (c − u)`, where `c` and `u` are the log-probabilities of the next token after the
/// conditional prompt and after an unconditional prompt, both followed by the same
/// continuation. γ = 1 is the plain conditional distribution; γ > 1 amplifies what the
/// condition changes, which matters for small models that, once a few tokens are written,
/// condition on those rather than on the prompt's label.
public struct Guidance: Sendable {
    /// One per prompt of the generation call: the same request without its condition.
    public var unconditionalPrompts: [[Int32]]
    /// γ, a positive number (1: no guidance).
    public var scale: Float

    public init(unconditionalPrompts: [[Int32]], scale: Float) {
        self.unconditionalPrompts = unconditionalPrompts
        self.scale = scale
    }

    /// Checks the scale and that there is one unconditional prompt per prompt.
    public func validate(promptCount: Int) throws {
        guard scale > 0, scale.isFinite else { throw ModelError.input("the guidance scale must be a positive number, got \(scale)") }
        guard unconditionalPrompts.count == promptCount else {
            throw ModelError.input("guidance needs one unconditional prompt per prompt: \(unconditionalPrompts.count) for \(promptCount) prompts")
        }
    }

    /// Replaces `conditional` (a row of logits) by the guided scores
    /// `log_softmax(u) + γ (log_softmax(c) − log_softmax(u))`, as transformers'
    /// `UnbatchedClassifierFreeGuidanceLogitsProcessor` does. A token either row rules out
    /// (−inf) stays ruled out: with γ > 1 it would otherwise become +inf or NaN.
    public static func combine(_ conditional: UnsafeMutableBufferPointer<Float>, unconditional: UnsafeBufferPointer<Float>, scale: Float) {
        precondition(conditional.count == unconditional.count, "guidance rows differ in width")
        let c = logSumExp(UnsafeBufferPointer(conditional)), u = logSumExp(unconditional)
        for i in conditional.indices {
            let ci = conditional[i], ui = unconditional[i]
            guard ci > -.infinity, ui > -.infinity else { conditional[i] = -.infinity; continue }
            let lc = ci - c, lu = ui - u
            conditional[i] = lu + scale * (lc - lu)
        }
    }

    /// log Σ exp(x), shifted by the maximum so that large logits do not overflow.
    static func logSumExp(_ x: UnsafeBufferPointer<Float>) -> Float {
        var m = -Float.infinity
        for v in x where v > m { m = v }
        guard m > -.infinity, m.isFinite else { return m }
        var s: Float = 0
        for v in x { s += expf(v - m) }
        return m + logf(s)
    }
}
