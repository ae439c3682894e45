import Foundation
import TestSupport
import XCTest
@testable import Transformer

/// Training examples on disk: what goes in comes out, read one at a time or in order, and a
/// trainer reading them trains what it trains from memory.
final class TokenizedExampleFileTests: XCTestCase {
    func examples(_ count: Int, seed: UInt64 = 1) -> [TrainingExample] {
        var random = ShuffleGenerator(seed: seed, stream: 7)
        return (0..<count).map { i in
            let length = 2 + random.below(40)
            return TrainingExample(tokens: (0..<length).map { _ in Int32(random.below(13)) }, lossStart: 1 + random.below(length - 1),
                                   task: i % 4 == 0 ? nil : ["a", "b", "c"][i % 3])
        }
    }

    func file(_ examples: [TrainingExample]) throws -> TokenizedExampleFile {
        let f = try TokenizedExampleFile()
        for e in examples { try f.append(e) }
        try f.finish()
        return f
    }

    func testExamplesComeBackAsTheyWentInAndLeaveNoFileBehind() throws {
        let tmp = try TemporaryFolder()
        let data = examples(3000)
        let f = try TokenizedExampleFile(folder: tmp.path)
        // One example longer than a sequential read's 1 Mi-token chunk.
        let long = TrainingExample(tokens: (0..<(1 << 20) + 5).map { Int32($0 % 11) }, lossStart: 9, task: "long")
        for e in data.prefix(1500) + [long] + data.suffix(1500) { try f.append(e) }
        try f.finish()
        let all = Array(data.prefix(1500)) + [long] + Array(data.suffix(1500))
        XCTAssertEqual(f.count, all.count)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [], "the file is unlinked at once")
        for i in [0, 1, 1499, 1500, 1501, 2999, 3000] {
            XCTAssertEqual(try f.example(i), all[i])
            XCTAssertEqual(f.length(i), all[i].tokens.count)
            XCTAssertEqual(f.targetCount(i), all[i].targetCount)
        }
        var read: [TrainingExample] = []
        try f.forEachExample { read.append($0) }
        XCTAssertEqual(read, all)
        XCTAssertEqual(try trainingDataFingerprint(f), trainingDataFingerprint(all))
        XCTAssertEqual(try f.allLengths(), all.map(\.tokens.count))
        XCTAssertEqual(try f.tasks(), ["a", "b", "c", "long"])
        XCTAssertEqual(try all.tasks(), ["a", "b", "c", "long"])
    }

    /// The index is read 64 Ki entries at a time: examples on both sides of a boundary.
    func testIndexReadsAcrossChunks() throws {
        let all = (0..<70_000).map { TrainingExample(tokens: [Int32($0 % 13), Int32($0 % 7), 3], lossStart: 1 + $0 % 2, task: $0 % 2 == 0 ? "x" : nil) }
        let f = try file(all)
        var read: [TrainingExample] = []
        try f.forEachExample { read.append($0) }
        XCTAssertEqual(read, all)
        XCTAssertEqual(try f.allLengths(), all.map(\.tokens.count))
        XCTAssertEqual(try f.tasks(), ["x"])
        for i in [65_535, 65_536, 69_999] { XCTAssertEqual(try f.example(i), all[i]) }
    }

    func testATrainerReadingTheFileTrainsWhatItTrainsFromMemory() throws {
        let data = examples(57)
        var o = TrainingOptions()
        o.batchSize = 4
        o.gradientAccumulation = 2
        o.learningRate = 0.05
        o.epochs = 2
        o.seed = 3
        func run(_ source: any TrainingExampleSource) throws -> (Trainer, [StepMetrics]) {
            let m = BigramTestModel()
            m.initializeParameters(seed: 5)
            let t = try Trainer(model: m, examples: source, options: o)
            var steps: [StepMetrics] = []
            while !t.isFinished { steps.append(try t.step()) }
            return (t, steps)
        }
        let (memory, a) = try run(data), (disk, b) = try run(try file(data))
        XCTAssertEqual(memory.dataFingerprint, disk.dataFingerprint, "checkpoints of either resume in the other")
        XCTAssertEqual(a.map(\.loss), b.map(\.loss))
        XCTAssertEqual(a.map(\.taskLoss), b.map(\.taskLoss))
        XCTAssertEqual(Array(UnsafeBufferPointer(start: memory.model.parameters.base, count: memory.model.parameters.count)),
                       Array(UnsafeBufferPointer(start: disk.model.parameters.base, count: disk.model.parameters.count)))
    }
}
