import Foundation
import Mechanics

/// A checkpoint folder of a training run: a complete Hugging Face model folder (loadable by
/// transformers and `c2s lm`) plus what continuing the run needs:
///
/// - `optimizer.exp_avg.safetensors`, `optimizer.exp_avg_sq.safetensors`: AdamW's moments,
///   one tensor per parameter under the parameter's name and in its checkpoint layout, fp32;
/// - `trainer_state.json` (`TrainingState`): step, schedule, data position, settings;
/// - `metrics.jsonl`: the metrics log up to this step, so a resumed run's log and loss curve
///   cover the whole run.
///
/// Weights and moments are written in fp32 and read back bit for bit, and the data order is a
/// function of the step, so a resumed run computes exactly what the uninterrupted run did.
public enum TrainingCheckpoint {
    public static let firstMomentFile = "optimizer.exp_avg.safetensors"
    public static let secondMomentFile = "optimizer.exp_avg_sq.safetensors"
    public static let metricsFile = "metrics.jsonl"

    /// Writes `trainer`'s current state as the folder `folder`: built under a temporary name
    /// beside it and renamed into place, replacing an older folder of that name, so a
    /// checkpoint folder that exists is always complete.
    public static func save(_ trainer: Trainer, contents: ModelFolderContents, metricsLines: [String],
                            arguments: [String: String], to folder: String) throws {
        try AtomicFolder.write(folder, replacing: true, failure: failure) { temporary in
            let parameters = trainer.model.parameters
            try contents.write(parameters, to: temporary)
            for (name, moment) in [(firstMomentFile, trainer.optimizer.firstMoment), (secondMomentFile, trainer.optimizer.secondMoment)] {
                try parameters.withStoredTensors(from: moment) { writer in
                    try writer.write(to: (temporary as NSString).appendingPathComponent(name))
                }
            }
            try writeFile(try TrainingState(trainer, arguments: arguments).encoded(), to: temporary, name: TrainingState.fileName)
            try writeFile(Data(metricsLines.map { $0 + "\n" }.joined().utf8), to: temporary, name: metricsFile)
        }
    }

    /// How a failed checkpoint folder write reads.
    static let failure: AtomicFolder.Failure = { step, path, reason in
        switch step {
        case .create: CheckpointError.io(path: path, operation: "create the folder", reason: reason)
        case .replace: CheckpointError.io(path: path, operation: "replace the older checkpoint", reason: reason)
        case .rename: CheckpointError.io(path: path, operation: "rename the finished checkpoint into place as", reason: reason)
        }
    }

    /// Loads the checkpoint `folder` into `trainer` — parameters, moments, step count, elapsed
    /// time — after checking that it belongs to this run (same architecture and parameter
    /// shapes, same data, same order and length of run). Returns the saved metrics lines.
    ///
    /// - Throws: `TrainingError.incompatibleCheckpoint` naming every difference; the trainer is
    ///   left untouched unless the checks pass.
    @discardableResult
    public static func restore(_ trainer: Trainer, from folder: String) throws -> [String] {
        let statePath = (folder as NSString).appendingPathComponent(TrainingState.fileName)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw TrainingError.incompatibleCheckpoint(path: folder, problem: "no such checkpoint folder")
        }
        let state = try TrainingState.read(statePath)
        if let configType = try? ConfigFile(url: URL(fileURLWithPath: folder).appendingPathComponent("config.json")).modelType,
           configType != trainer.model.info.modelType {
            throw TrainingError.incompatibleCheckpoint(path: folder, problem: "it holds a \(configType) model, this run trains \(trainer.model.info.modelType)")
        }
        let differences = state.differences(from: trainer)
        guard differences.isEmpty else {
            throw TrainingError.incompatibleCheckpoint(path: folder, problem: differences.joined(separator: "; "))
        }
        // Everything is read into scratch buffers first, so a failure leaves the trainer as it was.
        let parameters = trainer.model.parameters, count = parameters.count
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * max(1, count))
        defer { scratch.deallocate() }
        let sources: [(String, UnsafeMutablePointer<Float>)] = [
            (folder, scratch), ((folder as NSString).appendingPathComponent(firstMomentFile), scratch + count),
            ((folder as NSString).appendingPathComponent(secondMomentFile), scratch + 2 * count),
        ]
        for (path, destination) in sources {
            do {
                // A LoRA run's checkpoint holds its adapters as PEFT saves them.
                let adapter = (folder as NSString).appendingPathComponent(LoRAConfiguration.weightsFileName)
                let store: any TensorStore = path != folder ? try Checkpoint(file: path)
                    : FileManager.default.fileExists(atPath: adapter) ? try Checkpoint(file: adapter) : try Checkpoint(folder: path)
                try parameters.load(from: store, ignoring: [], into: destination)
            } catch let e as CheckpointError {
                throw TrainingError.incompatibleCheckpoint(path: folder, problem: e.description)
            }
        }
        let metricsPath = (folder as NSString).appendingPathComponent(metricsFile)
        var lines: [String] = []
        if let data = FileManager.default.contents(atPath: metricsPath) {
            lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
                .filter { MetricsRecord(jsonLine: $0).map { $0.step <= state.globalStep } ?? false }
        }
        parameters.base.update(from: scratch, count: count)
        trainer.optimizer.firstMoment.update(from: scratch + count, count: count)
        trainer.optimizer.secondMoment.update(from: scratch + 2 * count, count: count)
        trainer.optimizer.restoreStepCount(state.optimizerStep)
        trainer.completedSteps = state.globalStep
        trainer.elapsedBefore = state.elapsed
        trainer.lastCheckpoint = folder
        return lines
    }

    static func writeFile(_ data: Data, to folder: String, name: String) throws {
        try AtomicFile.write(data, to: (folder as NSString).appendingPathComponent(name), failure: CheckpointError.atomicFailure)
    }
}
