import Foundation

/// transformers' learning-rate schedules with linear warmup, as pure functions of the step.
///
/// transformers wraps a multiplier `lambda(step)` in torch's `LambdaLR`: the scheduler starts
/// at `last_epoch = 0` and `scheduler.step()` runs after each `optimizer.step()`, so optimizer
/// step t (0-based) uses `base_lr * lambda(t)`. In particular the first step uses lr 0 when
/// there is any warmup. Formulas follow `transformers/optimization.py` operation for
/// operation, in Double as Python computes them:
///   - warmup (all three), for `step < warmup`: `step / max(1, warmup)`;
///   - constant: 1 afterwards;
///   - linear: `max(0, (total - step) / max(1, total - warmup))`;
///   - cosine: `progress = (step - warmup) / max(1, total - warmup)`,
///     `max(0, 0.5 * (1 + cos(pi * cycles * 2 * progress)))`. Past `total` steps the
///     cosine is not clamped and rises again, exactly as transformers does.
public enum LearningRateSchedule: Sendable, Equatable {
    /// `get_constant_schedule_with_warmup`.
    case constant(warmupSteps: Int)
    /// `get_linear_schedule_with_warmup`.
    case linear(warmupSteps: Int, totalSteps: Int)
    /// `get_cosine_schedule_with_warmup`; transformers' default `cycles` is 0.5 (one half
    /// cosine from 1 down to 0 over the steps after warmup).
    case cosine(warmupSteps: Int, totalSteps: Int, cycles: Double = 0.5)

    /// The multiplier of the base learning rate used by optimizer step `step` (0-based).
    public func multiplier(atStep step: Int) -> Double {
        switch self {
        case let .constant(warmup):
            if step < warmup { return Double(step) / max(1.0, Double(warmup)) }
            return 1.0
        case let .linear(warmup, total):
            if step < warmup { return Double(step) / Double(max(1, warmup)) }
            return max(0.0, Double(total - step) / Double(max(1, total - warmup)))
        case let .cosine(warmup, total, cycles):
            if step < warmup { return Double(step) / Double(max(1, warmup)) }
            let progress = Double(step - warmup) / Double(max(1, total - warmup))
            // Same association as Python's `math.pi * float(num_cycles) * 2.0 * progress`.
            return max(0.0, 0.5 * (1.0 + cos(Double.pi * cycles * 2.0 * progress)))
        }
    }

    /// `baseLearningRate * multiplier(atStep: step)`, as `LambdaLR` computes it.
    public func learningRate(base baseLearningRate: Double, atStep step: Int) -> Double {
        baseLearningRate * multiplier(atStep: step)
    }
}
