import Mechanics
/// Why a training run cannot start or had to stop, worded for the person running it.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The data or settings cannot make a run (no examples, an example longer than the
    /// context, a model that cannot be trained, …).
    case invalidInput(String)
    /// A checkpoint given to resume from does not belong to this run.
    case incompatibleCheckpoint(path: String, problem: String)
    /// The loss, the gradient or (checked before saving) the parameters became NaN or
    /// infinite; nothing of that step was saved. `lastCheckpoint` is the newest checkpoint written before it, if any.
    case nonFinite(what: String, step: Int, lastCheckpoint: String?)

    /// Whether the run stopped on a NaN or infinite value (as opposed to bad input).
    public var isNonFinite: Bool {
        if case .nonFinite = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .invalidInput(let problem):
            return problem
        case let .incompatibleCheckpoint(path, problem):
            return "\(path): cannot resume from this checkpoint: \(problem)"
        case let .nonFinite(what, step, last):
            let kept = last.map { "the last good checkpoint is \($0)" } ?? "no checkpoint had been saved yet"
            let stopped = what == "parameters" ? "training stopped without saving them" : "training stopped before applying that step"
            return "the \(what) became NaN or infinite at step \(step); \(stopped); \(kept) (a lower --learning-rate or --max-grad-norm usually helps)"
        }
    }
}

extension TrainingError: C2SError {
    /// 4 when training stopped on a non-finite loss or gradient, else 2.
    public var exitCode: Int32 { isNonFinite ? 4 : 2 }
}
