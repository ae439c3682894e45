import XCTest
@testable import Evaluation

final class TrainingOverlapTests: XCTestCase {
    private func words(_ s: String) -> [String] { s.split(separator: " ").map(String.init) }

    func testNearestOverlapsCopiesAndPercentilesByHand() throws {
        let training = [words("A B C D"), words("E F G H")]
        let generated: [TrainingOverlap.Cell] = [
            (words("A B C D"), "x"),  // exact copy: 1
            (words("A B X Y"), "x"),  // 2 shared of 6 distinct: 1/3
            (words("Z"), "y"),        // against the first gene of each (A, E): nothing shared, 0
            (words("A A B"), "y"),    // set {A, B} against the first 3 genes {A, B, C}: 2/3
        ]
        let heldOut: [TrainingOverlap.Cell] = [
            (words("E F G Q"), "x"),  // 3 of 5: 0.6
            (words("D C B A"), "y"),  // same set, other order: 1, not an exact copy
        ]
        let o = try TrainingOverlap(generated: generated, heldOut: heldOut, training: training, genes: 4)
        XCTAssertEqual(o.trainingCells, 2)
        XCTAssertEqual(o.generated.cells, 4)
        XCTAssertEqual(o.generated.exactCopies, 1)
        XCTAssertEqual(o.generated.nearCopies, 0.25, accuracy: 1e-12)
        XCTAssertEqual(o.generated.mean, (1 + 1.0 / 3 + 0 + 2.0 / 3) / 4, accuracy: 1e-12)
        XCTAssertEqual(o.generated.median, 0.5, accuracy: 1e-12)                     // sorted 0, 1/3, 2/3, 1
        XCTAssertEqual(o.generated.p90, 2.0 / 3 + 0.7 / 3, accuracy: 1e-12)          // position 2.7
        XCTAssertEqual(o.heldOut.exactCopies, 0)
        XCTAssertEqual(o.heldOut.median, 0.8, accuracy: 1e-12)
        XCTAssertEqual(o.heldOut.nearCopies, 0.5, accuracy: 1e-12)
        XCTAssertEqual(o.perLabel.map(\.label), ["x", "y"])
        XCTAssertEqual(o.perLabel[0].generatedMedian!, (1 + 1.0 / 3) / 2, accuracy: 1e-12)
        XCTAssertEqual(o.perLabel[0].heldOutMedian!, 0.6, accuracy: 1e-12)
        XCTAssertEqual(o.perLabel[1].generatedCells, 2)
        XCTAssertEqual(o.perLabel[1].generatedMedian!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(o.perLabel[1].heldOutMedian!, 1, accuracy: 1e-12)
    }

    /// A sentence that stopped early is compared with the training cells' first as many genes.
    func testATruncatedCopyIsACopy() throws {
        let o = try TrainingOverlap(generated: [(words("A B"), nil), (words("B A"), nil)], heldOut: [],
                                    training: [words("A B C D")], genes: 4)
        XCTAssertEqual(o.generated.median, 1)
        XCTAssertEqual(o.generated.exactCopies, 1, "only the one in the training order")
    }

    func testOnlyTheFirstGenesCount() throws {
        let o = try TrainingOverlap(generated: [(words("A B X Y"), nil)], heldOut: [], training: [words("A B C D")], genes: 2)
        XCTAssertEqual(o.generated.median, 1)
        XCTAssertEqual(o.generated.exactCopies, 1)
        XCTAssertTrue(o.heldOut.median.isNaN)
        XCTAssertTrue(o.perLabel.isEmpty)
    }

    /// The inverted index against every pair, on random sentences drawn from a small gene pool.
    func testInvertedIndexEqualsBruteForce() throws {
        var seeded = SplitMix(seed: 7)
        // Repeated genes in a sentence, and (queries only) genes no training cell has.
        let pool = (0 ..< 46).map { "G\($0)" }
        func sentence(_ n: Int, from genes: UInt64) -> [String] { (0 ..< n).map { _ in pool[Int(seeded.next() % genes)] } }
        let training = (0 ..< 60).map { _ in sentence(12, from: 40) }
        let queries = (0 ..< 30).map { _ in sentence(Int(seeded.next() % 15) + 1, from: 46) } + [training[3], Array(training[5].prefix(4))]
        let o = try TrainingOverlap(generated: queries.map { ($0, nil) }, heldOut: [], training: training, genes: 10)
        func jaccard(_ a: [String], _ b: [String]) -> Double {
            let q = Array(a.prefix(10))
            let x = Set(q), y = Set(b.prefix(q.count))
            return Double(x.intersection(y).count) / Double(x.union(y).count)
        }
        let brute = queries.map { q in training.map { jaccard(q, $0) }.max()! }.sorted()
        XCTAssertEqual(o.generated.median, Quantile.median(sorted: brute), accuracy: 1e-12)
        XCTAssertEqual(o.generated.p90, Quantile.percentile(sorted: brute, 0.9), accuracy: 1e-12)
        XCTAssertEqual(o.generated.mean, brute.reduce(0, +) / Double(brute.count), accuracy: 1e-12)
        let copies = queries.filter { q in let p = Array(q.prefix(10)); return training.contains { Array($0.prefix(p.count)) == p } }.count
        XCTAssertEqual(o.generated.exactCopies, copies)
        XCTAssertGreaterThanOrEqual(copies, 2, "a training cell and a prefix of one")
    }

    func testNoTrainingCellsIsAnError() {
        XCTAssertThrowsError(try TrainingOverlap(generated: [], heldOut: [], training: [], genes: 10))
    }
}

private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
