import Foundation
import TestSupport
import XCTest
@testable import Transformer

/// Data-parallel training without MPI: ranks as threads of one process joined by an
/// in-process communicator, checked against the single-process run with the same global
/// batch. (`DataParallelCLITests` runs the real thing under `mpirun`.)
final class DataParallelTrainingTests: XCTestCase {
    /// `count` examples of varied lengths, alternating between two tasks.
    static func examples(_ count: Int, seed: UInt64 = 1) -> [TrainingExample] {
        var random = ShuffleGenerator(seed: seed, stream: 99)
        return (0..<count).map { i in
            let length = 3 + random.below(18)
            let tokens = (0..<length).map { _ in Int32(random.below(13)) }
            return TrainingExample(tokens: tokens, lossStart: 1 + random.below(length - 1), task: i % 3 == 0 ? "a" : "b")
        }
    }

    static func options(batchSize: Int = 6) -> TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = batchSize
        o.evalBatchSize = 4
        o.gradientAccumulation = 2
        o.learningRate = 0.05
        o.weightDecay = 0.01
        o.warmupSteps = 2
        o.epochs = 2
        o.seed = 7
        return o
    }

    static func model() -> BigramTestModel {
        let m = BigramTestModel()
        m.initializeParameters(seed: 3)
        return m
    }

    func testShardsCoverEveryPositionOnceAsEvenlyAsPossible() {
        for count in [0, 1, 5, 6, 7, 64] {
            for ranks in [1, 2, 3, 4] {
                let shards = (0..<ranks).map { DataParallelShard(batchCount: count, rank: $0, ranks: ranks) }
                XCTAssertEqual(shards.flatMap { Array($0.positions) }, Array(0..<count), "\(count) over \(ranks)")
                let sizes = shards.map(\.positions.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
            }
        }
        XCTAssertEqual(DataParallelShard(batchCount: 4, rank: 1, ranks: 2).firstRow(lengths: [5, 7, 2, 9]), 12)
        XCTAssertEqual(DataParallelShard(batchCount: 4, rank: 0, ranks: 2).firstRow(lengths: [5, 7, 2, 9]), 0)
    }

    func testRanksTogetherTrainWhatOneProcessTrains() throws {
        let saved = KernelThreads.count
        KernelThreads.count = 1
        defer { KernelThreads.count = saved }
        // 29 examples in micro-batches of 6: the last micro-batch of an epoch holds 5, so some
        // ranks run fewer sequences (with 3 ranks: 2, 2, 1) than others.
        let data = Self.examples(29), validation = Self.examples(9, seed: 2)
        let single = try Trainer(model: Self.model(), examples: data, options: Self.options())
        var singleSteps: [StepMetrics] = []
        while !single.isFinished { singleSteps.append(try single.step()) }
        let singleValidation = try single.validate(validation)
        let reference = Array(UnsafeBufferPointer(start: single.model.parameters.base, count: single.model.parameters.count))

        for ranks in [2, 3] {
            let runs = try ThreadRanks.onRanks(ranks) { group -> ([StepMetrics], ValidationMetrics, [Float]) in
                let trainer = try Trainer(model: Self.model(), examples: data, options: Self.options(), communicator: group)
                var steps: [StepMetrics] = []
                while !trainer.isFinished { steps.append(try trainer.step()) }
                let v = try trainer.validate(validation)
                return (steps, v, Array(UnsafeBufferPointer(start: trainer.model.parameters.base, count: trainer.model.parameters.count)))
            }
            for (rank, (steps, v, parameters)) in runs.enumerated() {
                XCTAssertEqual(parameters, runs[0].2, "rank \(rank) of \(ranks) holds rank 0's parameters bit for bit")
                XCTAssertEqual(steps.count, singleSteps.count)
                for (s, one) in zip(steps, singleSteps) {
                    XCTAssertEqual(s.loss, one.loss, accuracy: 1e-6 * abs(one.loss), "step \(one.step), \(ranks) ranks")
                    XCTAssertEqual(s.gradNorm, one.gradNorm, accuracy: 1e-5 * one.gradNorm)
                    XCTAssertEqual(s.tokens, one.tokens)
                    XCTAssertEqual(s.targetTokens, one.targetTokens)
                    XCTAssertEqual(Set(s.taskLoss.keys), Set(one.taskLoss.keys))
                    for (task, loss) in one.taskLoss { XCTAssertEqual(s.taskLoss[task]!, loss, accuracy: 1e-6 * loss) }
                    XCTAssertNotNil(s.communicationSeconds)
                }
                XCTAssertEqual(v.loss, singleValidation.loss, accuracy: 1e-9 * singleValidation.loss)
                XCTAssertEqual(v.tokens, singleValidation.tokens)
                XCTAssertEqual(v.taskLoss.keys.sorted(), singleValidation.taskLoss.keys.sorted())
            }
            // fp32 gradients summed in another order: the weights agree to rounding.
            let largest = zip(runs[0].2, reference).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(largest, 1e-5, "\(ranks) ranks against one process")
        }
        XCTAssertNil(singleSteps[0].communicationSeconds, "a single process reports no communication")
    }

    /// The gradient summed layer by layer during the backward pass (a GPT-NeoX of 3 layers, so
    /// the pass reports layers) gives the parameters that summing it after the pass gives, bit
    /// for bit, on every rank; with 3 ranks one rank's share of an epoch's last micro-batch is
    /// empty, so it issues every piece after its pass while the others issue them during theirs.
    func testTheOverlappedAllReduceSumsWhatTheReductionAfterTheBackwardPassSums() throws {
        let saved = KernelThreads.count
        KernelThreads.count = 1
        defer { KernelThreads.count = saved }
        let data = Self.examples(29)
        for ranks in [2, 3] {
            var results: [[Float]] = []
            for overlap in [false, true] {
                let runs = try ThreadRanks.onRanks(ranks, otherThreads: true) { group -> ([Float], Int) in
                    let model = try TrainingInitializationTests.model([
                        "model_type": "gpt_neox", "vocab_size": 13, "hidden_size": 16, "num_hidden_layers": 3, "num_attention_heads": 2,
                        "intermediate_size": 32, "max_position_embeddings": 32, "rotary_pct": 0.5])
                    model.initializeParameters(seed: 5)
                    var options = Self.options()
                    options.overlapAllReduce = overlap
                    let trainer = try Trainer(model: model, examples: data, options: options, communicator: group)
                    XCTAssertEqual(trainer.overlappedReduction != nil, overlap)
                    XCTAssertEqual(trainer.overlappedReduction?.layers.count ?? 3, 3)
                    var early = 0
                    while !trainer.isFinished {
                        _ = try trainer.step()
                        early = max(early, trainer.overlappedReduction?.issuedDuringBackward ?? 0)
                    }
                    return (Array(UnsafeBufferPointer(start: model.parameters.base, count: model.parameters.count)), early)
                }
                for (rank, run) in runs.enumerated() {
                    XCTAssertEqual(run.0, runs[0].0, "rank \(rank) of \(ranks), overlap \(overlap)")
                    // Every layer's sum started inside the backward pass on some step.
                    XCTAssertEqual(run.1, overlap ? 3 : 0, "rank \(rank) of \(ranks), overlap \(overlap)")
                }
                results.append(runs[0].0)
            }
            XCTAssertEqual(results[1], results[0], "\(ranks) ranks: overlapped and after-the-pass sums train the same weights")
        }
    }

    /// Parameters go to the layer their name numbers; the rest (embeddings, final norm, head,
    /// anything unnamed) fills the gaps, so the pieces cover the gradient once.
    func testGradientPiecesFollowTheLayerInTheNameAndCoverEverything() {
        XCTAssertEqual(OverlappedGradientReduction.layer(of: "gpt_neox.layers.10.mlp.dense_h_to_4h.weight"), 10)
        XCTAssertEqual(OverlappedGradientReduction.layer(of: "transformer.h.3.attn.c_attn.bias"), 3)
        XCTAssertEqual(OverlappedGradientReduction.layer(of: "model.layers.0.self_attn.q_proj.weight"), 0)
        XCTAssertNil(OverlappedGradientReduction.layer(of: "gpt_neox.embed_in.weight"))
        XCTAssertNil(OverlappedGradientReduction.layer(of: "lm_head.weight"))
        let (layers, rest) = OverlappedGradientReduction.ranges([
            ("embed.weight", 0, 10), ("layers.0.a", 10, 4), ("layers.0.b", 14, 6), ("layers.1.a", 20, 5),
            ("norm.weight", 25, 3), ("layers.1.b", 28, 2), ("empty.0", 30, 0),
        ], total: 33)
        XCTAssertEqual(layers, [[10..<20], [20..<25, 28..<30]])
        XCTAssertEqual(rest, [0..<10, 25..<28, 30..<33])
    }

    func testTheBatchSizeMustSplitEvenlyOverTheRanks() throws {
        let results = try ThreadRanks.onRanks(2) { group -> String in
            do {
                _ = try Trainer(model: Self.model(), examples: Self.examples(10), options: Self.options(batchSize: 5), communicator: group)
                return "accepted"
            } catch let e as TrainingError {
                return e.description
            }
        }
        for message in results { XCTAssertTrue(message.contains("--batch-size 5 is not a multiple of the 2 ranks"), message) }
    }

    func testRanksAgreeOnlyOnTheSameDigest() throws {
        let agreed = try ThreadRanks.onRanks(3) { group in try group.agree(on: 42) }
        XCTAssertEqual(agreed, [true, true, true])
        let split = try ThreadRanks.onRanks(3) { group in try group.agree(on: group.rank == 2 ? 7 : 42) }
        XCTAssertEqual(split, [false, false, false], "every rank learns of the disagreement")
    }

    /// LoRA dropout masks are keyed by the global token row, so two ranks running the halves
    /// of a micro-batch draw what one process running all of it draws.
    func testDropoutMasksDoNotDependOnHowTheBatchIsSplit() throws {
        let f = try LoRAParityTests.fixture("llama")
        let model = try LoRAParityTests.withDropout(f, 0.3)
        let n = model.parameters.count
        let batch = f.batch
        XCTAssertGreaterThanOrEqual(batch.lengths.count, 2)
        func gradient(_ b: TrainingBatch, firstRow: Int) throws -> [Float] {
            model.setRandomKey(11, firstRow: firstRow)
            var g = [Float](repeating: 0, count: n)
            _ = try g.withUnsafeMutableBufferPointer { try model.accumulateGradients(b, scale: 1, into: $0.baseAddress!) }
            return g
        }
        let whole = try gradient(batch, firstRow: 0)
        let cut = batch.lengths[0]
        let head = TrainingBatch(tokens: Array(batch.tokens[..<cut]), lengths: [cut], targets: Array(batch.targets[..<cut]))
        let tail = TrainingBatch(tokens: Array(batch.tokens[cut...]), lengths: Array(batch.lengths.dropFirst()), targets: Array(batch.targets[cut...]))
        let halves = zip(try gradient(head, firstRow: 0), try gradient(tail, firstRow: cut)).map { $0 + $1 }
        let scale = whole.map(abs).max()!
        XCTAssertLessThanOrEqual(zip(whole, halves).map { abs($0 - $1) }.max()!, 1e-5 * scale)
        // Keyed by the local row instead, the second half would draw another mask.
        let misplaced = zip(try gradient(head, firstRow: 0), try gradient(tail, firstRow: 0)).map { $0 + $1 }
        XCTAssertGreaterThan(zip(whole, misplaced).map { abs($0 - $1) }.max()!, 1e-3 * scale)
    }
}
