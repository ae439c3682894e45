import Foundation
import Transformer

/// The lines `c2s train` writes every `every` optimizer steps (`--log-every`), whether stderr
/// is a terminal or a log file:
///
///     training: step 40/200, loss 2.3457, lr 9.60e-04, 18342 tok/s, elapsed 1m02s, ETA 4m08s
///
/// The loss is the mean of the steps' training losses since the previous line (one step's loss
/// is noisy; the mean is what a reader compares between lines), the token rate is over those
/// steps, and the ETA assumes the remaining steps take as long as this run's steps so far,
/// validations and checkpoints included. The last step always gets a line.
///
/// The type only collects and formats; the caller prints.
struct TrainStepLog {
    /// Steps between lines (at least 1).
    let every: Int
    let totalSteps: Int

    private var losses = 0.0
    private var steps = 0
    private var tokens = 0
    private var seconds = 0.0
    /// The run's elapsed time and step when this process's first step began (a resumed run
    /// starts after its checkpoint's step, with that part's time counted in `elapsed`).
    private var start: (elapsed: Double, step: Int)?

    init(every: Int, totalSteps: Int) {
        precondition(every >= 1, "a step log needs at least 1 step between lines")
        self.every = every
        self.totalSteps = totalSteps
    }

    /// Records a step and returns its line when one is due.
    mutating func record(_ m: StepMetrics) -> String? {
        if start == nil { start = (m.elapsed - m.seconds, m.step - 1) }
        losses += m.loss
        steps += 1
        tokens += m.tokens
        seconds += m.seconds
        guard m.step % every == 0 || m.step >= totalSteps else { return nil }
        let loss = losses / Double(steps)
        let rate = seconds > 0 ? Double(tokens) / seconds : 0
        let (startElapsed, startStep) = start!
        let perStep = (m.elapsed - startElapsed) / Double(max(1, m.step - startStep))
        let eta = perStep * Double(max(0, totalSteps - m.step))
        (losses, steps, tokens, seconds) = (0, 0, 0, 0)
        return String(format: "training: step %d/%d, loss %.4f, lr %.2e, %.0f tok/s, elapsed %@, ETA %@",
                      m.step, totalSteps, loss, m.learningRate, rate, durationText(m.elapsed), durationText(eta))
    }
}
