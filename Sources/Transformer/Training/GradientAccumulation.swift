/// Gradient accumulation: gradients of N micro-batches summed into one buffer, then averaged.
///
/// transformers' Trainer divides each micro-batch's loss by `gradient_accumulation_steps`
/// before backward, so the accumulated gradient is the mean of the micro-batch gradients (for
/// micro-batches of equal token weight). Summing raw gradients and scaling once by 1/N gives
/// that mean with one pass instead of N, and must happen before clipping: the clip threshold
/// is meant for the averaged gradient, as in the Trainer.
public enum GradientAccumulation {
    /// `accumulated[i] += gradient[i]` for one micro-batch.
    public static func add(_ gradient: UnsafePointer<Float>, into accumulated: UnsafeMutablePointer<Float>, count: Int) {
        KernelThreads.forRanges(count, grain: 1 << 15) { range in
            for i in range { accumulated[i] += gradient[i] }
        }
    }

    /// Scales the sum of `microBatches` gradients to their mean (`× 1/N`, the factor rounded
    /// to fp32 once, as multiplying an fp32 tensor by a Python scalar does). N = 1 leaves the
    /// buffer untouched.
    public static func average(_ gradient: UnsafeMutablePointer<Float>, count: Int, microBatches: Int) {
        precondition(microBatches >= 1, "gradient accumulation needs at least one micro-batch")
        guard microBatches > 1 else { return }
        let scale = Float(1.0 / Double(microBatches))
        KernelThreads.forRanges(count, grain: 1 << 15) { range in
            for i in range { gradient[i] *= scale }
        }
    }
}
