import Foundation
import TestSupport
import XCTest
@testable import Transformer

/// The permutation computed per position, and the permuted batch order built on it.
final class SeededPermutationTests: XCTestCase {
    func testEveryPositionMapsToADistinctElement() {
        for n in [1, 2, 3, 4, 5, 7, 64, 100, 1000, 4097] {
            let p = SeededPermutation(count: n, seed: 9, stream: 2)
            XCTAssertEqual((0..<n).map { p[$0] }.sorted(), Array(0..<n), "n = \(n)")
        }
    }

    func testSeedAndStreamChooseThePermutationAndItShuffles() {
        let n = 1000
        let a = (0..<n).map { SeededPermutation(count: n, seed: 9, stream: 0)[$0] }
        XCTAssertEqual(a, (0..<n).map { SeededPermutation(count: n, seed: 9, stream: 0)[$0] }, "the same on every call")
        XCTAssertNotEqual(a, (0..<n).map { SeededPermutation(count: n, seed: 9, stream: 1)[$0] }, "another epoch, another order")
        XCTAssertNotEqual(a, (0..<n).map { SeededPermutation(count: n, seed: 10, stream: 0)[$0] }, "another seed, another order")
        // Shuffled: few elements stay put, and neighbours are scattered.
        XCTAssertLessThan(zip(a, 0..<n).filter { $0 == $1 }.count, 10)
        let steps = zip(a, a.dropFirst()).map { abs($0 - $1) }
        XCTAssertGreaterThan(Double(steps.reduce(0, +)) / Double(steps.count), Double(n) / 5, "consecutive positions land far apart")
        // Element 0's position over 2,000 epochs is spread over the whole range (each tenth ~10 %).
        var tenths = [Int](repeating: 0, count: 10)
        for epoch in 0..<2000 {
            let p = SeededPermutation(count: n, seed: 3, stream: UInt64(epoch))
            let position = (0..<n).first { p[$0] == 0 }!
            tenths[position * 10 / n] += 1
        }
        XCTAssertTrue(tenths.allSatisfy { $0 > 140 && $0 < 260 }, "\(tenths)")
    }

    func testThePermutedOrderCoversEveryExampleOnceAnEpochAndNeedsNoLengths() {
        var o = TrainingOptions()
        o.batchSize = 4
        o.gradientAccumulation = 3
        o.epochs = 2
        o.batchOrder = .permuted
        let plan = TrainingPlan(count: 45, options: o)
        XCTAssertEqual(plan.lengths, [])
        XCTAssertEqual(plan.batchesPerEpoch, 12)
        XCTAssertEqual(plan.stepsPerEpoch, 4)
        for epoch in 0..<2 {
            let steps = (epoch * 4..<(epoch + 1) * 4).map { plan.permutedMicroBatches(ofStep: $0) }
            XCTAssertEqual(steps.flatMap { $0 }.flatMap { $0 }.sorted(), Array(0..<45))
            XCTAssertEqual(steps.flatMap { $0 }, plan.batches(epoch: epoch), "per step as per epoch")
        }
        XCTAssertNotEqual(plan.batches(epoch: 0), plan.batches(epoch: 1))
    }

    func testATrainerInThePermutedOrderResumesExactly() throws {
        var random = ShuffleGenerator(seed: 4, stream: 1)
        let data = (0..<37).map { _ in
            TrainingExample(tokens: (0..<(3 + random.below(10))).map { _ in Int32(random.below(13)) }, lossStart: 1)
        }
        var o = TrainingOptions()
        o.batchSize = 4
        o.gradientAccumulation = 2
        o.epochs = 2
        o.learningRate = 0.05
        o.batchOrder = .permuted
        func trainer() throws -> Trainer {
            let m = BigramTestModel()
            m.initializeParameters(seed: 1)
            return try Trainer(model: m, examples: data, options: o)
        }
        let whole = try trainer()
        var losses: [Double] = []
        while !whole.isFinished { losses.append(try whole.step().loss) }
        XCTAssertEqual(whole.plan.lengths, [], "the permuted order keeps no lengths")
        let tmp = try TemporaryFolder()
        let first = try trainer()
        for _ in 0..<3 { _ = try first.step() }
        let contents = ModelFolderContents(config: ["model_type": "bigram_test", "vocab_size": 13], generationConfig: ["eos_token_id": 0])
        try TrainingCheckpoint.save(first, contents: contents, metricsLines: [], arguments: [:], to: tmp.file("c"))
        let resumed = try trainer()
        _ = try TrainingCheckpoint.restore(resumed, from: tmp.file("c"))
        var rest: [Double] = []
        while !resumed.isFinished { rest.append(try resumed.step().loss) }
        XCTAssertEqual(rest, Array(losses.dropFirst(3)))
    }
}
