import Foundation
import Mechanics

/// Something that happened during a run, for progress displays.
public enum TrainingEvent: Sendable {
    case step(StepMetrics)
    case validation(ValidationMetrics)
    /// A checkpoint folder was written.
    case checkpoint(String)
}

/// A whole training run into an output folder `OUT`:
///
/// - steps until the plan is done, validating every `evalEvery` steps and at the end (when
///   there are validation examples);
/// - `OUT/checkpoint-N/` every `saveEvery` steps (`TrainingCheckpoint`);
/// - `OUT/metrics.jsonl`, one line per step and per validation, appended and flushed as the
///   run goes (so it can be followed, and shows what happened if the run stops);
/// - at the end, the final model in `OUT` itself (weights, config, tokenizer, extra files)
///   with `trainer_state.json`; nothing of the final model is written when the run stops early.
///
/// In a data-parallel run every rank runs the loop and only rank 0 writes; before each
/// checkpoint and the final model the ranks check that they hold the same parameters.
public final class TrainingLoop {
    public let trainer: Trainer
    public let validation: any TrainingExampleSource
    public let evalEvery: Int?
    public let saveEvery: Int?
    public let output: String
    public let contents: ModelFolderContents
    public let arguments: [String: String]
    /// Called on the caller's thread after each step, validation and checkpoint.
    public var onEvent: ((TrainingEvent) -> Void)?

    /// Every metrics line so far (including those of the run a resumed run continues).
    public private(set) var metricsLines: [String]
    public private(set) var records: [MetricsRecord]

    /// - Parameters:
    ///   - history: metrics lines of the run so far (from `TrainingCheckpoint.restore`).
    public init(trainer: Trainer, validation: any TrainingExampleSource, evalEvery: Int?, saveEvery: Int?, output: String,
                contents: ModelFolderContents, arguments: [String: String], history: [String] = []) throws {
        if let e = evalEvery, e < 1 { throw TrainingError.invalidInput("--eval-every must be at least 1") }
        if let s = saveEvery, s < 1 { throw TrainingError.invalidInput("--save-every must be at least 1") }
        var position = 0
        try validation.forEachExample { e in
            try Trainer.check(e, position, fit: trainer.model.info, what: "validation example")
            position += 1
        }
        self.trainer = trainer
        self.validation = validation
        self.evalEvery = evalEvery
        self.saveEvery = saveEvery
        self.output = output
        self.contents = contents
        self.arguments = arguments
        metricsLines = history
        records = history.compactMap(MetricsRecord.init(jsonLine:))
    }

    public var metricsPath: String { (output as NSString).appendingPathComponent(TrainingCheckpoint.metricsFile) }

    /// The folder of the checkpoint after `step` steps.
    public func checkpointPath(step: Int) -> String { (output as NSString).appendingPathComponent("checkpoint-\(step)") }

    /// Runs the remaining steps and writes the final model. `output` must exist.
    public func run() throws {
        let leader = trainer.communicator.isLeader
        let log = leader ? try MetricsLogFile(path: metricsPath, startingWith: metricsLines) : nil
        var validatedAt = records.last.flatMap { if case .validation(let v) = $0 { return v.step } else { return nil } }
        while !trainer.isFinished {
            let metrics = try trainer.step()
            try record(.step(metrics), log)
            onEvent?(.step(metrics))
            let step = metrics.step
            if let evalEvery, step % evalEvery == 0, validation.count > 0 {
                try validate(log)
                validatedAt = step
            }
            if let saveEvery, step % saveEvery == 0 {
                try checkFinite()
                try checkRanksAgree()
                let folder = checkpointPath(step: step)
                if leader { try TrainingCheckpoint.save(trainer, contents: contents, metricsLines: metricsLines, arguments: arguments, to: folder) }
                trainer.lastCheckpoint = folder
                onEvent?(.checkpoint(folder))
            }
        }
        if validation.count > 0 && validatedAt != trainer.completedSteps {
            try validate(log)
        }
        try checkFinite()
        try checkRanksAgree()
        guard leader else { return }
        try contents.write(trainer.model.parameters, to: output)
        try TrainingCheckpoint.writeFile(try TrainingState(trainer, arguments: arguments).encoded(), to: output, name: TrainingState.fileName)
    }

    /// Data-parallel ranks apply the same update to the same parameters, so they must hold the
    /// same bits; an MPI library whose sums differed between ranks would make them drift apart,
    /// and rank 0 would save a model the others never trained.
    private func checkRanksAgree() throws {
        let c = trainer.communicator
        guard c.size > 1 else { return }
        let p = trainer.model.parameters
        guard try c.agree(on: contentDigest(p.base, count: p.count)) else {
            throw TrainingError.invalidInput("the \(c.size) ranks hold different parameters after step \(trainer.completedSteps): the MPI library's sums were not the same on every rank")
        }
    }

    /// A finite loss can still leave infinite weights behind (an update that overflows); such
    /// a model is never saved.
    private func checkFinite() throws {
        let p = trainer.model.parameters, o = trainer.optimizer
        for buffer in [p.base, o.firstMoment, o.secondMoment] where !allFinite(buffer, count: p.count) {
            throw TrainingError.nonFinite(what: buffer == p.base ? "parameters" : "optimizer state",
                                          step: trainer.completedSteps, lastCheckpoint: trainer.lastCheckpoint)
        }
    }

    private func validate(_ log: MetricsLogFile?) throws {
        let metrics = try trainer.validate(validation)
        try record(.validation(metrics), log)
        onEvent?(.validation(metrics))
    }

    private func record(_ record: MetricsRecord, _ log: MetricsLogFile?) throws {
        let line = record.jsonLine
        metricsLines.append(line)
        records.append(record)
        try log?.append(line)
    }
}

/// The metrics log: rewritten with the run's history at the start (dropping lines of an
/// interrupted run past the checkpoint it resumes from), then one flushed line per record.
final class MetricsLogFile {
    private let handle: FileHandle
    let path: String

    init(path: String, startingWith lines: [String]) throws {
        self.path = path
        let text = lines.map { $0 + "\n" }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw CheckpointError.io(path: path, operation: "create", reason: "the metrics log cannot be written")
        }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    func append(_ line: String) throws {
        do { try handle.write(contentsOf: Data((line + "\n").utf8)) } catch {
            throw CheckpointError.io(path: path, operation: "append to", reason: error.localizedDescription)
        }
    }

    deinit { try? handle.close() }
}

/// A 64-bit digest of `count` floats' bits (word-wise multiply-xor, then mixed): cheap enough
/// to compare parameters across ranks at every checkpoint.
func contentDigest(_ values: UnsafePointer<Float>, count: Int) -> UInt64 {
    var lanes = SIMD8<UInt64>(repeating: 0x9E37_79B9_7F4A_7C15)
    let raw = UnsafeRawPointer(values)
    let bytes = count * 4
    var i = 0
    while i + 64 <= bytes {
        lanes = (lanes ^ raw.loadUnaligned(fromByteOffset: i, as: SIMD8<UInt64>.self)) &* 0x0000_0100_0000_01b3
        i += 64
    }
    var h = SplitMix64.mix(UInt64(count))
    for l in 0..<8 { h = SplitMix64.mix(h ^ lanes[l]) }
    while i < bytes {
        h = SplitMix64.mix(h ^ UInt64(raw.load(fromByteOffset: i, as: UInt8.self)))
        i += 1
    }
    return h
}

/// Whether every one of `count` floats is finite (x − x is 0 for finite x and NaN otherwise).
func allFinite(_ values: UnsafePointer<Float>, count: Int) -> Bool {
    var lanes = SIMD16<Float>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(values)
    while i + 16 <= count {
        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        lanes += v - v
        i += 16
    }
    var tail: Float = 0
    while i < count {
        tail += values[i] - values[i]
        i += 1
    }
    return (lanes.sum() + tail) == 0
}
