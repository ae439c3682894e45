import Evaluation
import Foundation
import SingleCell
import Transformer

/// The loss curves of a `c2s train` run, read from its `metrics.jsonl` (one JSON object per
/// line: training steps carry `loss`, validations `validation_loss`; logs of runs that mix
/// tasks add each task's loss as `loss/TASK` and `validation_loss/TASK`).
///
/// The Evaluation module does not depend on the trainer, so the log is read here rather than
/// with the trainer's own record type; both follow the same flat key scheme.
public struct TrainingLog: Sendable {
    /// Points (step, loss) of one curve.
    public typealias Curve = [(step: Double, loss: Double)]

    public var path: String
    /// (step, training loss) of every logged step.
    public var training: Curve
    /// (step, validation loss) of every validation.
    public var validation: Curve
    /// Training loss of each task, by task name, at the steps whose batch held that task.
    /// Empty for logs written before per-task losses existed.
    public var trainingByTask: [String: Curve] = [:]
    /// Validation loss of each task, by task name.
    public var validationByTask: [String: Curve] = [:]
    /// The run's settings from `trainer_state.json` beside the log, when it is there, as its
    /// owner `TrainingState` shows them (`settings(atPath:)`): every scalar leaf of the JSON
    /// object, shown and not interpreted, so that the state of another trainer (Hugging Face's
    /// `args`) shows as well as c2s's own.
    public var settings: [(String, String)]

    /// Reads `path`; a line that is not a JSON object is an error naming the line.
    public static func read(_ path: String) throws -> TrainingLog {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw FileError(path, "cannot be read (\(error.localizedDescription))")
        }
        var log = TrainingLog(path: path, training: [], validation: [], settings: [])
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = (object["step"] as? NSNumber)?.doubleValue else {
                throw FileError(path, "line \(n + 1) is not a metrics record with a step")
            }
            if let loss = (object["loss"] as? NSNumber)?.doubleValue { log.training.append((step, loss)) }
            if let loss = (object["validation_loss"] as? NSNumber)?.doubleValue { log.validation.append((step, loss)) }
            // Per-task keys: `validation_loss/` is tested first because it also ends in "loss/".
            for (key, value) in object {
                guard let loss = (value as? NSNumber)?.doubleValue else { continue }
                if let task = Self.task(key, prefix: Self.validationTaskPrefix) {
                    log.validationByTask[task, default: []].append((step, loss))
                } else if let task = Self.task(key, prefix: Self.trainingTaskPrefix) {
                    log.trainingByTask[task, default: []].append((step, loss))
                }
            }
        }
        guard !log.training.isEmpty || !log.validation.isEmpty else { throw FileError(path, "holds no training or validation loss") }
        let state = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(TrainingState.fileName)
        log.settings = TrainingState.settings(atPath: state.path) ?? []
        return log
    }

    /// Prefixes of the per-task keys of `c2s train`'s metrics.jsonl.
    static let trainingTaskPrefix = "loss/", validationTaskPrefix = "validation_loss/"

    /// The task names of the log, training and validation together, sorted.
    public var tasks: [String] { Set(trainingByTask.keys).union(validationByTask.keys).sorted() }

    /// The task of a per-task key, or nil when `key` is not one.
    static func task(_ key: String, prefix: String) -> String? {
        guard key.hasPrefix(prefix), key.count > prefix.count else { return nil }
        return String(key.dropFirst(prefix.count))
    }
}
