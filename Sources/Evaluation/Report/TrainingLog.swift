import Foundation
import SingleCell

/// The loss curves of a `c2s train` run, read from its `metrics.jsonl` (one JSON object per
/// line: training steps carry `loss`, validations `validation_loss`).
public struct TrainingLog: Sendable {
    public var path: String
    /// (step, training loss) of every logged step.
    public var training: [(step: Double, loss: Double)]
    /// (step, validation loss) of every validation.
    public var validation: [(step: Double, loss: Double)]
    /// The run's settings from `trainer_state.json` beside the log, when it is there.
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
        }
        guard !log.training.isEmpty || !log.validation.isEmpty else { throw FileError(path, "holds no training or validation loss") }
        let state = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("trainer_state.json")
        if let data = try? Data(contentsOf: state),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            log.settings = flatten(object, prefix: "")
        }
        return log
    }

    /// Scalar leaves of a JSON object as "a.b" = value, sorted; long arrays and objects summarised.
    static func flatten(_ object: [String: Any], prefix: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for key in object.keys.sorted() {
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch object[key] {
            case let nested as [String: Any]: out += flatten(nested, prefix: name)
            case let array as [Any]:
                let items = array.map { "\($0)" }
                out.append((name, items.count <= 8 ? items.joined(separator: " ") : "\(items.count) values"))
            case let number as NSNumber: out.append((name, "\(number)"))
            case let text as String: out.append((name, text))
            default: continue
            }
        }
        return out
    }
}
