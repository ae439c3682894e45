import Foundation

/// `trainer_state.json`: where a run stands, enough (with the weights and the optimizer
/// moments saved beside it) to continue it exactly.
///
/// The data order is a pure function of (seed, epoch, example lengths), so the position in the
/// data is the step count alone; `epoch` and `step_in_epoch` are recorded for people and
/// checked on resume together with the data fingerprint and the settings that decide the
/// order and length of the run.
public struct TrainingState: Codable, Sendable, Equatable {
    public static let fileName = "trainer_state.json"
    public static let formatName = "c2s-trainer-state"

    public var format = TrainingState.formatName
    public var version = 1
    /// Optimizer steps completed.
    public var globalStep: Int
    public var totalSteps: Int
    public var stepsPerEpoch: Int
    /// Fractional epochs completed.
    public var epoch: Double
    /// Where the next step starts: its epoch (0-based) and step within that epoch.
    public var dataOrder: DataOrder
    /// AdamW's `state["step"]` (equal to `globalStep`).
    public var optimizerStep: Int
    /// The learning rate of the next step.
    public var nextLearningRate: Double
    public var trainExamples: Int
    public var dataFingerprint: String
    public var modelType: String
    public var parameterCount: Int
    /// Seconds spent so far.
    public var elapsed: Double
    public var options: TrainingOptions
    /// The command line's settings, as given (for the record; not read back).
    public var arguments: [String: String]

    public struct DataOrder: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var epoch: Int
        public var stepInEpoch: Int
    }

    enum CodingKeys: String, CodingKey {
        case format, version, epoch, options, arguments, elapsed
        case globalStep = "global_step", totalSteps = "total_steps", stepsPerEpoch = "steps_per_epoch"
        case dataOrder = "data_order", optimizerStep = "optimizer_step", nextLearningRate = "next_learning_rate"
        case trainExamples = "train_examples", dataFingerprint = "data_fingerprint"
        case modelType = "model_type", parameterCount = "parameter_count"
    }

    /// The state of `trainer` now.
    public init(_ trainer: Trainer, arguments: [String: String]) {
        let plan = trainer.plan, step = trainer.completedSteps
        globalStep = step
        totalSteps = plan.totalSteps
        stepsPerEpoch = plan.stepsPerEpoch
        epoch = plan.epochProgress(afterSteps: step)
        dataOrder = DataOrder(seed: plan.seed, epoch: plan.epoch(ofStep: step), stepInEpoch: step % plan.stepsPerEpoch)
        optimizerStep = trainer.optimizer.stepCount
        nextLearningRate = trainer.schedule.learningRate(base: trainer.options.learningRate, atStep: step)
        trainExamples = trainer.examples.count
        dataFingerprint = trainer.dataFingerprint
        modelType = trainer.model.info.modelType
        parameterCount = trainer.model.parameters.count
        elapsed = trainer.elapsed
        options = trainer.options
        self.arguments = arguments
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    public static func read(_ path: String) throws -> TrainingState {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError.incompatibleCheckpoint(path: path, problem: "the file cannot be read (a checkpoint folder holds \(fileName))")
        }
        do {
            let state = try JSONDecoder().decode(TrainingState.self, from: data)
            guard state.format == formatName else {
                throw TrainingError.incompatibleCheckpoint(path: path, problem: "format is \"\(state.format)\", expected \"\(formatName)\"")
            }
            return state
        } catch let e as TrainingError {
            throw e
        } catch {
            throw TrainingError.incompatibleCheckpoint(path: path, problem: "not a c2s trainer state (\(error))")
        }
    }

    /// The file at `path` as people read it (the report's settings table): every scalar leaf
    /// of its JSON object as ("a.b", value), sorted, long arrays and objects summarised. Read
    /// without this type's checks, so that the state of another trainer (Hugging Face's, with
    /// `args`, `log_history`, …) shows as well as c2s's own. Nil when the file is missing or
    /// is not a JSON object.
    public static func settings(atPath path: String) -> [(String, String)]? {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return flatten(object, prefix: "")
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

    /// Why this saved state cannot continue as `trainer`'s run, one entry per difference; empty
    /// when it can. Only what changes the data order, the step count or the model counts;
    /// other settings (learning rate, weight decay, …) may change, at the cost of a different
    /// continuation.
    public func differences(from trainer: Trainer) -> [String] {
        var d: [String] = []
        let o = trainer.options
        if modelType != trainer.model.info.modelType { d.append("the checkpoint is a \(modelType) model, this run trains \(trainer.model.info.modelType)") }
        if parameterCount != trainer.model.parameters.count { d.append("the checkpoint's model has \(parameterCount) parameters, this run's has \(trainer.model.parameters.count)") }
        if trainExamples != trainer.examples.count || dataFingerprint != trainer.dataFingerprint {
            d.append("the training data differ (\(trainExamples) examples with fingerprint \(dataFingerprint) then, \(trainer.examples.count) with \(trainer.dataFingerprint) now: another prompt file, tokenizer, --max-length or --loss-on?)")
        }
        if options.seed != o.seed { d.append("--seed was \(options.seed), now \(o.seed)") }
        if options.batchOrder != o.batchOrder { d.append("the batch order was \(options.batchOrder.rawValue), now \(o.batchOrder.rawValue) (--batch-order)") }
        if options.batchSize != o.batchSize { d.append("--batch-size was \(options.batchSize), now \(o.batchSize)") }
        if options.gradientAccumulation != o.gradientAccumulation { d.append("--gradient-accumulation was \(options.gradientAccumulation), now \(o.gradientAccumulation)") }
        if totalSteps != trainer.plan.totalSteps { d.append("the run had \(totalSteps) steps, now \(trainer.plan.totalSteps) (--epochs / --max-steps)") }
        if globalStep > trainer.plan.totalSteps { d.append("the checkpoint is at step \(globalStep), past the run's \(trainer.plan.totalSteps) steps") }
        return d
    }
}
