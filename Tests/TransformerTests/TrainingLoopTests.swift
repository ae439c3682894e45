import Foundation
import TestSupport
import XCTest
@testable import Transformer

/// The training loop on a small bigram model: data order, step gradients, determinism,
/// exact resume, checkpoints and NaN handling.
final class TrainingLoopTests: XCTestCase {
    /// `count` examples of varied lengths (3…20 tokens) whose loss starts part-way.
    func examples(_ count: Int, seed: UInt64 = 1, vocabulary: Int = 13) -> [TrainingExample] {
        var random = ShuffleGenerator(seed: seed, stream: 99)
        return (0..<count).map { _ in
            let length = 3 + random.below(18)
            let tokens = (0..<length).map { _ in Int32(random.below(vocabulary)) }
            return TrainingExample(tokens: tokens, lossStart: 1 + random.below(length - 1))
        }
    }

    func options(_ change: (inout TrainingOptions) -> Void = { _ in }) -> TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = 3
        o.gradientAccumulation = 2
        o.learningRate = 0.05
        o.weightDecay = 0.01
        o.warmupSteps = 2
        o.epochs = 2
        o.seed = 7
        change(&o)
        return o
    }

    func model(seed: UInt64 = 3) -> BigramTestModel {
        let m = BigramTestModel()
        m.initializeParameters(seed: seed)
        return m
    }

    let contents = ModelFolderContents(config: ["model_type": "bigram_test", "vocab_size": 13],
                                       generationConfig: ["eos_token_id": 0],
                                       extraFiles: [("c2s.json", Data("{}\n".utf8))])

    // MARK: data order

    func testLengthGroupedBatchesCoverEveryExampleOnceLongestFirst() {
        let lengths = (0..<103).map { ($0 * 37) % 61 + 1 }
        for (batchSize, seed, epoch) in [(4, UInt64(0), 0), (4, 0, 1), (1, 5, 0), (8, 9, 3), (200, 1, 0)] {
            let batches = LengthGroupedBatches.batches(lengths: lengths, batchSize: batchSize, seed: seed, epoch: epoch)
            XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(0..<103))
            XCTAssertTrue(batches.dropLast().allSatisfy { $0.count == batchSize } || batchSize > 103)
            XCTAssertEqual(lengths[batches[0][0]], lengths.max())
            XCTAssertEqual(batches, LengthGroupedBatches.batches(lengths: lengths, batchSize: batchSize, seed: seed, epoch: epoch))
        }
        // Within a mega-batch (here 25 batches of 1 when n / (4 * 1) ≥ 50 → 50 batches) lengths descend.
        let one = LengthGroupedBatches.batches(lengths: lengths, batchSize: 4, seed: 0, epoch: 0).flatMap { $0 }
        let mega = 4 * min(103 / 16, 50)
        for start in stride(from: 0, to: one.count, by: mega) {
            let part = one[start..<min(one.count, start + mega)].dropFirst().map { lengths[$0] }
            XCTAssertEqual(part, part.sorted(by: >))
        }
        XCTAssertNotEqual(LengthGroupedBatches.batches(lengths: lengths, batchSize: 4, seed: 0, epoch: 0),
                          LengthGroupedBatches.batches(lengths: lengths, batchSize: 4, seed: 0, epoch: 1))
        XCTAssertNotEqual(LengthGroupedBatches.batches(lengths: lengths, batchSize: 4, seed: 0, epoch: 0),
                          LengthGroupedBatches.batches(lengths: lengths, batchSize: 4, seed: 1, epoch: 0))
    }

    func testRandomBatchesAreSlicesOfTheSeededPermutation() {
        for (n, batchSize, seed, epoch) in [(103, 4, UInt64(0), 0), (103, 4, 0, 1), (7, 1, 5, 0), (50, 200, 1, 0)] {
            let batches = RandomBatches.batches(count: n, batchSize: batchSize, seed: seed, epoch: epoch)
            XCTAssertEqual(batches.flatMap { $0 }, ShuffleGenerator.permutation(n, seed: seed, epoch: epoch))
            XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(0..<n))
            XCTAssertTrue(batches.dropLast().allSatisfy { $0.count == batchSize })
        }
        XCTAssertNotEqual(RandomBatches.batches(count: 103, batchSize: 4, seed: 0, epoch: 0),
                          RandomBatches.batches(count: 103, batchSize: 4, seed: 0, epoch: 1))
    }

    /// Two tasks whose examples differ in length (a label: short; a sentence: long), 3:1, as
    /// in the demo: random batches (the default) hold both tasks, length-grouped ones one task
    /// each, which is what stopped models from learning the label (docs/SCIENCE.md).
    func testTheDefaultOrderMixesTasksInEveryBatch() {
        let lengths = (0..<800).map { $0 % 4 == 0 ? 140 + $0 % 7 : 40 + $0 % 5 }
        var o = TrainingOptions()
        o.batchSize = 16
        XCTAssertEqual(o.batchOrder, .random)
        func mixed(_ plan: TrainingPlan) -> Double {
            let batches = plan.batches(epoch: 0)
            let both = batches.filter { b in b.contains { lengths[$0] > 100 } && b.contains { lengths[$0] < 100 } }
            return Double(both.count) / Double(batches.count)
        }
        XCTAssertGreaterThan(mixed(TrainingPlan(lengths: lengths, options: o)), 0.95)
        o.batchOrder = .groupedByLength
        // Only batches straddling two mega-batches of the grouped order can mix.
        XCTAssertLessThan(mixed(TrainingPlan(lengths: lengths, options: o)), 0.15)
    }

    /// A trainer_state.json from before the order was a setting has no `batch_order`: it
    /// resumes with the length-grouped order it was trained with.
    func testOptionsWithoutABatchOrderReadAsLengthGrouped() throws {
        var o = options()
        o.batchOrder = .random
        let encoded = try JSONEncoder().encode(o)
        XCTAssertEqual(try JSONDecoder().decode(TrainingOptions.self, from: encoded), o)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        XCTAssertEqual(object.removeValue(forKey: "batch_order") as? String, "random")
        let old = try JSONDecoder().decode(TrainingOptions.self, from: try JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(old.batchOrder, .groupedByLength)
        o.batchOrder = .groupedByLength
        XCTAssertEqual(old, o)
    }

    func testPlanCountsStepsWithAPartialLastAccumulation() {
        var o = options()
        o.batchSize = 4
        o.gradientAccumulation = 3
        o.epochs = 2
        let plan = TrainingPlan(lengths: Array(repeating: 5, count: 29), options: o)
        XCTAssertEqual(plan.batchesPerEpoch, 8)
        XCTAssertEqual(plan.stepsPerEpoch, 3)
        XCTAssertEqual(plan.totalSteps, 6)
        let batches = plan.batches(epoch: 0)
        XCTAssertEqual((0..<3).map { plan.microBatches(ofStep: $0, epochBatches: batches).count }, [3, 3, 2])
        XCTAssertEqual(plan.epoch(ofStep: 3), 1)
        XCTAssertEqual(plan.epochProgress(afterSteps: 3), 1)
        XCTAssertEqual(plan.epochProgress(afterSteps: 1), 3.0 / 8.0)
        o.maxSteps = 10
        XCTAssertEqual(TrainingPlan(lengths: Array(repeating: 5, count: 29), options: o).totalSteps, 10)
    }

    func testTargetsAreShiftedAndMasked() {
        let batch = TrainingBatch(examples: [TrainingExample(tokens: [5, 6, 7, 8], lossStart: 2), TrainingExample(tokens: [9, 10], lossStart: 0)])
        XCTAssertEqual(batch.tokens, [5, 6, 7, 8, 9, 10])
        XCTAssertEqual(batch.lengths, [4, 2])
        let x = TrainingBatch.ignored
        XCTAssertEqual(batch.targets, [x, 7, 8, x, 10, x])
    }

    // MARK: the step

    func testTestModelGradientMatchesFiniteDifferences() throws {
        let m = model()
        let batch = TrainingBatch(examples: examples(4))
        var grad = [Float](repeating: 0, count: m.parameters.count)
        _ = try grad.withUnsafeMutableBufferPointer { try m.accumulateGradients(batch, scale: 1, into: $0.baseAddress!) }
        for i in stride(from: 0, to: m.parameters.count, by: 7) {
            let saved = m.parameters.base[i]
            m.parameters.base[i] = saved + 1e-2
            let up = try m.loss(batch).sum
            m.parameters.base[i] = saved - 1e-2
            let down = try m.loss(batch).sum
            m.parameters.base[i] = saved
            XCTAssertEqual(Double(grad[i]), (up - down) / 2e-2, accuracy: 2e-3 * max(1, abs(Double(grad[i]))), "parameter \(i)")
        }
    }

    /// With example weighting every example's mean token loss counts the same: the step's
    /// gradient is the mean over its examples of each example's mean-loss gradient.
    func testExampleWeightingGivesEveryExampleTheSameWeight() throws {
        let data = examples(12)
        let m = model(), reference = model()
        let trainer = try Trainer(model: m, examples: data, options: options {
            $0.maxGradNorm = 0; $0.learningRate = 0; $0.lossWeighting = .example
        })
        let picked = trainer.plan.microBatches(ofStep: 0, epochBatches: trainer.plan.batches(epoch: 0)).flatMap { $0 }.map { data[$0] }
        XCTAssertNotEqual(Set(picked.map(\.targetCount)).count, 1, "the test needs examples of unequal lengths")
        _ = try trainer.step()
        var expected = [Float](repeating: 0, count: m.parameters.count)
        for e in picked {
            _ = try expected.withUnsafeMutableBufferPointer {
                try reference.accumulateGradients(TrainingBatch(examples: [e]), scale: Float(1.0 / Double(e.targetCount * picked.count)),
                                                  into: $0.baseAddress!)
            }
        }
        for i in 0..<m.parameters.count {
            XCTAssertEqual(trainer.lastGradient[i], expected[i], accuracy: 1e-6 * max(1, abs(expected[i])), "parameter \(i)")
        }
        // And it differs from the token mean, which weighs long examples more.
        let tokenTrainer = try Trainer(model: model(), examples: data, options: options { $0.maxGradNorm = 0; $0.learningRate = 0 })
        _ = try tokenTrainer.step()
        XCTAssertGreaterThan((0..<m.parameters.count).map { abs(tokenTrainer.lastGradient[$0] - expected[$0]) }.max()!, 1e-4)
    }

    /// Each task's loss in a step is the mean over that task's target tokens, the same number
    /// the model gives for those examples alone.
    func testStepsAndValidationReportTheLossOfEachTask() throws {
        var data = examples(12)
        for i in data.indices { data[i].task = i % 3 == 0 ? "generation" : "prediction" }
        let trainer = try Trainer(model: model(), examples: data, options: options { $0.learningRate = 0 })
        let reference = model()
        let micro = trainer.plan.microBatches(ofStep: 0, epochBatches: trainer.plan.batches(epoch: 0)).flatMap { $0 }.map { data[$0] }
        let metrics = try trainer.step()
        XCTAssertEqual(Set(metrics.taskLoss.keys), Set(micro.compactMap(\.task)))
        for (task, value) in metrics.taskLoss {
            let alone = try reference.loss(TrainingBatch(examples: micro.filter { $0.task == task }))
            XCTAssertEqual(value, alone.mean, accuracy: 1e-12, task)
        }
        let validation = try trainer.validate(data)
        for task in ["generation", "prediction"] {
            XCTAssertEqual(validation.taskLoss[task]!, try reference.loss(TrainingBatch(examples: data.filter { $0.task == task })).mean,
                           accuracy: 1e-12, task)
        }
    }

    /// The step's gradient is that of the mean loss over all target tokens of all its
    /// micro-batches, not the mean of per-micro-batch means.
    func testAStepsGradientIsTheMeanOverAllItsTargetTokens() throws {
        let data = examples(12)
        let m = model()
        let reference = model()
        let trainer = try Trainer(model: m, examples: data, options: options { $0.maxGradNorm = 0; $0.learningRate = 0 })
        let plan = trainer.plan
        let micro = plan.microBatches(ofStep: 0, epochBatches: plan.batches(epoch: 0))
        XCTAssertEqual(micro.count, 2)
        let picked = micro.flatMap { $0 }.map { data[$0] }
        let perBatch = micro.map { $0.reduce(0) { $0 + data[$1].targetCount } }
        XCTAssertNotEqual(perBatch[0], perBatch[1], "the test needs micro-batches of unequal token counts")
        let metrics = try trainer.step()
        let total = picked.reduce(0) { $0 + $1.targetCount }
        var expected = [Float](repeating: 0, count: m.parameters.count)
        let loss = try expected.withUnsafeMutableBufferPointer {
            try reference.accumulateGradients(TrainingBatch(examples: picked), scale: Float(1.0 / Double(total)), into: $0.baseAddress!)
        }
        XCTAssertEqual(metrics.loss, loss.mean, accuracy: 1e-12)
        XCTAssertEqual(metrics.targetTokens, total)
        XCTAssertEqual(metrics.tokens, picked.reduce(0) { $0 + $1.tokens.count })
        XCTAssertEqual(metrics.learningRate, 0)
        for i in 0..<m.parameters.count {
            XCTAssertEqual(trainer.lastGradient[i], expected[i], accuracy: 1e-6, "gradient \(i)")
        }
        let norm = gradientL2Norm(expected, count: expected.count)
        XCTAssertEqual(metrics.gradNorm, norm, accuracy: 1e-6 * norm)
    }

    // MARK: whole runs

    /// Runs to the end into `folder`; returns the metrics lines and the final parameters.
    func run(_ data: [TrainingExample], _ o: TrainingOptions, into folder: String, saveEvery: Int? = nil, evalEvery: Int? = 2,
             resume: String? = nil, modelSeed: UInt64 = 3) throws -> (lines: [String], parameters: [Float]) {
        let m = model(seed: modelSeed)
        let trainer = try Trainer(model: m, examples: data, options: o)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var history: [String] = []
        if let resume { history = try TrainingCheckpoint.restore(trainer, from: resume) }
        let loop = try TrainingLoop(trainer: trainer, validation: examples(5, seed: 50), evalEvery: evalEvery, saveEvery: saveEvery,
                                    output: folder, contents: contents, arguments: ["test": "yes"], history: history)
        try loop.run()
        return (loop.metricsLines, Array(UnsafeBufferPointer(start: m.parameters.base, count: m.parameters.count)))
    }

    /// A metrics line without its timing fields.
    func deterministicPart(_ line: String) -> [String: String] {
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        var result: [String: String] = [:]
        for (k, v) in object where !["seconds", "elapsed", "tokens_per_second"].contains(k) { result[k] = "\(v)" }
        return result
    }

    func testSameSeedSameRunAndResumeGivesExactlyTheSameLosses() throws {
        let tmp = try TemporaryFolder()
        let data = examples(20)
        let o = options()
        let a = try run(data, o, into: tmp.file("a"), saveEvery: 3)
        let b = try run(data, o, into: tmp.file("b"))
        XCTAssertEqual(a.lines.map(deterministicPart), b.lines.map(deterministicPart))
        XCTAssertEqual(a.parameters, b.parameters)
        XCTAssertEqual(a.lines.filter { $0.contains("validation_loss") }.count, 4)  // steps 2, 4, 6 and 8 (the end)
        // Another seed, another order.
        let c = try run(data, options { $0.seed = 8 }, into: tmp.file("c"))
        XCTAssertNotEqual(a.parameters, c.parameters)

        // Resuming from checkpoint-3 (a fresh model with other weights: all come from the checkpoint).
        let resumed = try run(data, o, into: tmp.file("r"), resume: tmp.file("a/checkpoint-3"), modelSeed: 99)
        XCTAssertEqual(resumed.lines.map(deterministicPart), a.lines.map(deterministicPart))
        XCTAssertEqual(resumed.parameters, a.parameters)
        // The log on disk is the whole run.
        let logged = try String(contentsOfFile: tmp.file("r/metrics.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(logged.map(deterministicPart), a.lines.map(deterministicPart))
        // Resuming inside the same folder rewrites the log from the checkpoint's.
        let again = try run(data, o, into: tmp.file("a"), saveEvery: 3, resume: tmp.file("a/checkpoint-6"), modelSeed: 5)
        XCTAssertEqual(again.parameters, a.parameters)
        let relogged = try String(contentsOfFile: tmp.file("a/metrics.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(relogged.map(deterministicPart), a.lines.map(deterministicPart))
    }

    func testCheckpointAndFinalFolders() throws {
        let tmp = try TemporaryFolder()
        let data = examples(20)
        _ = try run(data, options(), into: tmp.file("out"), saveEvery: 4)
        let manager = FileManager.default
        let names = Set(try manager.contentsOfDirectory(atPath: tmp.file("out")))
        XCTAssertEqual(names, ["checkpoint-4", "checkpoint-8", "config.json", "generation_config.json", "c2s.json", "model.safetensors",
                               "metrics.jsonl", TrainingState.fileName])
        let checkpoint = Set(try manager.contentsOfDirectory(atPath: tmp.file("out/checkpoint-4")))
        XCTAssertEqual(checkpoint, ["config.json", "generation_config.json", "c2s.json", "model.safetensors", "metrics.jsonl",
                                    TrainingState.fileName, TrainingCheckpoint.firstMomentFile, TrainingCheckpoint.secondMomentFile])
        let state = try TrainingState.read(tmp.file("out/checkpoint-4/\(TrainingState.fileName)"))
        XCTAssertEqual(state.globalStep, 4)
        XCTAssertEqual(state.optimizerStep, 4)
        XCTAssertEqual(state.totalSteps, 8)
        XCTAssertEqual(state.dataOrder, TrainingState.DataOrder(seed: 7, epoch: 1, stepInEpoch: 0))
        XCTAssertEqual(state.arguments, ["test": "yes"])
        let lines = try String(contentsOfFile: tmp.file("out/checkpoint-4/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.compactMap { MetricsRecord(jsonLine: String($0)) }.map(\.step), [1, 2, 2, 3, 4, 4])
        let weights = try Checkpoint(folder: tmp.file("out/checkpoint-4"))
        XCTAssertEqual(weights.shapes, ["embed.weight": [13, 6], "head.weight": [13, 6], "head.bias": [13]])
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp.file("out/config.json")))) as? [String: Any])
        XCTAssertEqual(config["model_type"] as? String, "bigram_test")
        XCTAssertFalse(names.contains { $0.hasPrefix(".") }, "no temporary files left: \(names)")
    }

    func testResumeRefusesAnotherRunsCheckpoint() throws {
        let tmp = try TemporaryFolder()
        let data = examples(20)
        _ = try run(data, options(), into: tmp.file("out"), saveEvery: 4)
        let checkpoint = tmp.file("out/checkpoint-4")
        func refuses(_ trainer: Trainer, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) {
            let before = Array(UnsafeBufferPointer(start: trainer.model.parameters.base, count: trainer.model.parameters.count))
            XCTAssertThrowsError(try TrainingCheckpoint.restore(trainer, from: checkpoint), file: file, line: line) { error in
                guard case TrainingError.incompatibleCheckpoint = error else { return XCTFail("\(error)", file: file, line: line) }
                for n in needles { XCTAssertTrue("\(error)".contains(n), "\(error) lacks \(n)", file: file, line: line) }
            }
            XCTAssertEqual(trainer.completedSteps, 0, file: file, line: line)
            XCTAssertEqual(before, Array(UnsafeBufferPointer(start: trainer.model.parameters.base, count: trainer.model.parameters.count)), file: file, line: line)
        }
        refuses(try Trainer(model: model(), examples: data, options: options { $0.seed = 1 }), ["--seed was 7, now 1"])
        refuses(try Trainer(model: model(), examples: data, options: options { $0.batchSize = 2 }), ["--batch-size"])
        refuses(try Trainer(model: model(), examples: data, options: options { $0.epochs = 3 }), ["steps"])
        refuses(try Trainer(model: model(), examples: Array(data.dropLast()), options: options()), ["training data differ"])
        refuses(try Trainer(model: BigramTestModel(vocabulary: 13, width: 5), examples: data, options: options()), ["parameters"])
        refuses(try Trainer(model: BigramTestModel(type: "other"), examples: data, options: options()), ["bigram_test", "other"])
        XCTAssertThrowsError(try TrainingCheckpoint.restore(try Trainer(model: model(), examples: data, options: options()), from: tmp.file("nothing"))) {
            XCTAssertTrue("\($0)".contains("no such checkpoint"), "\($0)")
        }
        // A damaged moment file is refused, and the trainer is untouched.
        try FileManager.default.removeItem(atPath: checkpoint + "/" + TrainingCheckpoint.secondMomentFile)
        refuses(try Trainer(model: model(), examples: data, options: options()), ["optimizer.exp_avg_sq.safetensors"])
    }

    func testNaNStopsTheRunKeepingTheLastGoodCheckpoint() throws {
        let tmp = try TemporaryFolder()
        let data = examples(20)
        let m = model()
        let trainer = try Trainer(model: m, examples: data, options: options { $0.learningRate = 1e36; $0.warmupSteps = 0; $0.maxGradNorm = 0 })
        let folder = tmp.file("out")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let loop = try TrainingLoop(trainer: trainer, validation: [TrainingExample](), evalEvery: nil, saveEvery: 1, output: folder,
                                    contents: contents, arguments: [:])
        XCTAssertThrowsError(try loop.run()) { error in
            guard case let TrainingError.nonFinite(what, step, last) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(what, "loss")
            XCTAssertEqual(step, 2)
            XCTAssertEqual(last, folder + "/checkpoint-1")
            XCTAssertTrue("\(error)".contains("checkpoint-1"))
        }
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: folder))
        XCTAssertEqual(names, ["checkpoint-1", "metrics.jsonl"])
        XCTAssertEqual(trainer.completedSteps, 1)
        // The parameters are those of the last good step, as saved.
        let saved = try Checkpoint(folder: folder + "/checkpoint-1")
        XCTAssertEqual(try saved.floats("head.weight"), Array(UnsafeBufferPointer(start: m.parameters.pointer("head.weight"), count: 78)))
    }

    func testBadSettingsAndExamplesAreRefused() {
        XCTAssertThrowsError(try Trainer(model: model(), examples: [], options: options())) { XCTAssertTrue("\($0)".contains("no training examples")) }
        XCTAssertThrowsError(try Trainer(model: model(), examples: [TrainingExample(tokens: [1, 20], lossStart: 1)], options: options())) {
            XCTAssertTrue("\($0)".contains("token id 20"), "\($0)")
        }
        XCTAssertThrowsError(try Trainer(model: model(), examples: [TrainingExample(tokens: Array(repeating: 1, count: 65), lossStart: 1)], options: options())) {
            XCTAssertTrue("\($0)".contains("context of 64"), "\($0)")
        }
        XCTAssertThrowsError(try Trainer(model: model(), examples: examples(3), options: options { $0.batchSize = 0 })) {
            XCTAssertTrue("\($0)".contains("--batch-size"), "\($0)")
        }
    }

    func testMetricsLinesReadBack() {
        var step = StepMetrics(step: 3, epoch: 0.375, loss: 2.0000000000000004, learningRate: 1e-5, gradNorm: 0.1,
                               tokens: 120, targetTokens: 30, seconds: 0.5, elapsed: 2)
        XCTAssertEqual(MetricsRecord(jsonLine: MetricsRecord.step(step).jsonLine), .step(step))
        step.taskLoss = ["cell_type_prediction": 0.125, "cell_type_generation": 4.5]
        XCTAssertEqual(MetricsRecord(jsonLine: MetricsRecord.step(step).jsonLine), .step(step))
        XCTAssertTrue(MetricsRecord.step(step).jsonLine.hasSuffix(",\"loss/cell_type_generation\":4.5,\"loss/cell_type_prediction\":0.125}"))
        var validation = ValidationMetrics(step: 4, epoch: 0.5, loss: 1.25, tokens: 40, seconds: 0.25, elapsed: 3)
        XCTAssertEqual(MetricsRecord(jsonLine: MetricsRecord.validation(validation).jsonLine), .validation(validation))
        validation.taskLoss = ["a": 1, "b": 2.5]
        XCTAssertEqual(MetricsRecord(jsonLine: MetricsRecord.validation(validation).jsonLine), .validation(validation))
        XCTAssertTrue(MetricsRecord.validation(validation).jsonLine.contains("\"validation_loss/b\":2.5"))
        XCTAssertEqual(MetricsRecord(jsonLine: MetricsRecord.validation(validation).jsonLine), .validation(validation))
        XCTAssertTrue(MetricsRecord.validation(validation).jsonLine.contains("\"validation_perplexity\":\(exp(1.25))"))
        XCTAssertNil(MetricsRecord(jsonLine: "{\"other\":1}"))
    }
}
