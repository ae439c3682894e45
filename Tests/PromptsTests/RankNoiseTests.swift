import CellSentences
import Foundation
import Mechanics
@testable import Prompts
import SingleCell
import XCTest

/// `--rank-noise`: training inputs show a cell as a new measurement; nothing else changes.
final class RankNoiseTests: XCTestCase {
    /// A cell whose sentence is G0 G1 ... G(n-1).
    func ladder(_ n: Int) -> CellRecord {
        CellRecord(name: "c", sentence: (0..<n).map { "G\($0)" }.joined(separator: " "), fields: ["cell_type": "T"])
    }

    func testDeepGenesMoveMoreThanTopGenesAndTheSameSeedGivesTheSameOrder() throws {
        let noise = try RankNoise(sigma: 0.3)
        let cell = ladder(200)
        var moved = [Double](repeating: 0, count: 200)
        var firstStaysNearTheTop = 0
        let draws = 400
        for seed in 0..<UInt64(draws) {
            let noisy = noise.applied(to: cell, seed: seed)
            XCTAssertEqual(noisy.name, cell.name)
            XCTAssertEqual(noisy.fields, cell.fields)
            let genes = noisy.sentence.split(separator: " ")
            XCTAssertEqual(Set(genes), Set(cell.sentence.split(separator: " ")), "a permutation of the same genes")
            for (rank, g) in genes.enumerated() { moved[Int(g.dropFirst())!] += abs(Double(rank - Int(g.dropFirst())!)) }
            if genes.prefix(3).contains("G0") { firstStaysNearTheTop += 1 }
            XCTAssertEqual(noise.applied(to: cell, seed: seed), noisy)
        }
        let mean = moved.map { $0 / Double(draws) }
        XCTAssertLessThan(mean[2], 1.5)
        XCTAssertLessThan(mean[2], mean[50])
        XCTAssertLessThan(mean[50], mean[150])
        XCTAssertGreaterThan(mean[150], 10, "deep genes trade places")
        XCTAssertGreaterThan(Double(firstStaysNearTheTop) / Double(draws), 0.95)
        XCTAssertNotEqual(noise.applied(to: cell, seed: 1), noise.applied(to: cell, seed: 2))
        XCTAssertEqual(RankNoise.none.applied(to: cell, seed: 1), cell)
        XCTAssertThrowsError(try RankNoise(sigma: -0.1))
        XCTAssertThrowsError(try RankNoise(sigma: .nan))
        XCTAssertThrowsError(try RankNoise(sigma: .infinity))
    }

    func testTrainingInputsAreNoisyAndValidationTestAndResponsesAreNot() throws {
        let table = try KangPrompts.table()
        let prediction = BuiltinTasks.named("cell_type_prediction")!, generation = BuiltinTasks.named("cell_type_generation")!
        var plain = KangPrompts.options(prediction)
        plain.tasks = [(prediction, 2), (generation, 1)]
        plain.examplesPerCell = 3
        plain.topK = 30
        var noisy = plain
        noisy.rankNoise = try RankNoise(sigma: 0.3)
        let (a, _) = try KangPrompts.build(table, plain)
        let (b, _) = try KangPrompts.build(table, noisy)
        XCTAssertEqual(a.count, b.count)
        let genesOfCell = Dictionary(uniqueKeysWithValues: table.cells.map { ($0.name, Set($0.sentence.split(separator: " ").map(String.init))) })
        var changed = 0, trainingPredictions = 0
        var shownSentences: [String: Set<String>] = [:]
        var draws: [String: Int] = [:]
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.task, y.task)
            XCTAssertEqual(x.split, y.split)
            XCTAssertEqual(x.cellNames, y.cellNames)
            XCTAssertEqual(x.response, y.response, "responses stay as measured")
            guard x.split == "train", x.task == "cell_type_prediction" else {
                XCTAssertEqual(x, y, "validation, test and sentence-free inputs are unchanged")
                continue
            }
            trainingPredictions += 1
            let span = y.inputSentenceSpans[0]
            let scalars = Array(y.modelInput.unicodeScalars)
            let shown = String(String.UnicodeScalarView(scalars[span])).split(separator: " ").map(String.init)
            XCTAssertEqual(shown.count, min(30, genesOfCell[x.cellNames[0]]!.count))
            XCTAssertTrue(Set(shown).isSubset(of: genesOfCell[x.cellNames[0]]!), "only the cell's own genes")
            if x.modelInput != y.modelInput { changed += 1 }
            shownSentences[x.cellNames[0], default: []].insert(shown.joined(separator: " "))
            draws[x.cellNames[0], default: 0] += 1
        }
        XCTAssertGreaterThan(trainingPredictions, 1000)
        XCTAssertGreaterThan(Double(changed) / Double(trainingPredictions), 0.9)
        // A cell drawn more than once is shown differently each time.
        let repeated = draws.filter { $0.value > 1 }.keys
        XCTAssertGreaterThan(repeated.count, 100)
        let shownDifferently = repeated.filter { shownSentences[$0]!.count > 1 }.count
        XCTAssertGreaterThan(Double(shownDifferently) / Double(repeated.count), 0.9)
        // The byte path writes what the String path renders, for any number of threads.
        var one = noisy
        one.threads = 1
        var three = noisy
        three.threads = 3
        let expected = KangPrompts.encoded(b)
        XCTAssertEqual(try KangPrompts.lines(table, one).0, expected)
        XCTAssertEqual(try KangPrompts.lines(table, three).0, expected)
    }

    func testNoisyCopiesDependOnTheCellAndSeedOnly() throws {
        let noise = try RankNoise(sigma: 0.3)
        let a = ladder(120), b = CellRecord(name: "other", sentence: a.sentence, fields: a.fields)
        let copies = noise.copies(of: a, count: 5, seed: 3)
        XCTAssertEqual(copies.count, 5)
        XCTAssertEqual(Set(copies.map(\.sentence)).count, 5, "every copy is its own draw")
        for c in copies {
            XCTAssertEqual(c.name, a.name)
            XCTAssertEqual(c.sentence.split(separator: " ").sorted(), a.sentence.split(separator: " ").sorted())
            XCTAssertNotEqual(c.sentence, a.sentence)
        }
        // The same copies whenever asked (any batch or chunk), the first k of more copies too.
        XCTAssertEqual(noise.copies(of: a, count: 5, seed: 3), copies)
        XCTAssertEqual(Array(noise.copies(of: a, count: 8, seed: 3).prefix(5)), copies)
        // Another seed, or another cell with the same genes, draws other copies.
        XCTAssertNotEqual(noise.copies(of: a, count: 5, seed: 4).map(\.sentence), copies.map(\.sentence))
        XCTAssertNotEqual(noise.copies(of: b, count: 5, seed: 3).map(\.sentence), copies.map(\.sentence))
        XCTAssertEqual(noise.copies(of: a, count: 0, seed: 3), [])
    }

    /// Genes past `depth(showing:)` do not reach the first k; genes between k and it do.
    func testDepthBoundsTheGenesThatCanReachTheFirstK() throws {
        let noise = try RankNoise(sigma: 0.3)
        XCTAssertEqual(RankNoise.none.depth(showing: 100), 100)
        XCTAssertEqual(noise.depth(showing: 100), Int((100 * exp(5 * 0.3 * 2.0.squareRoot())).rounded(.up)))
        XCTAssertEqual(try RankNoise(sigma: 50).depth(showing: 100), Int.max)
        let cell = ladder(3000), depth = noise.depth(showing: 20)
        var deepest = 0
        for seed in 0..<UInt64(300) {
            let shown = noise.applied(to: cell, seed: seed).sentence.split(separator: " ").prefix(20)
            deepest = max(deepest, shown.map { Int($0.dropFirst())! }.max()!)
        }
        XCTAssertGreaterThan(deepest, 20, "genes from below the first k enter")
        XCTAssertLessThan(deepest, depth)
    }

    /// `keeping: k` gives the first k genes of the order the whole sentence gets: checked against
    /// the plain definition (every gene keyed, all sorted, joined), names of several bytes included.
    func testKeepingTheFirstKIsAPrefixOfTheWholeNewOrder() throws {
        func reference(_ cell: CellRecord, sigma: Double, seed: UInt64, k: Int) -> String {
            let genes = cell.sentence.split(separator: " ", omittingEmptySubsequences: true)
            var rng = SplitMix64(seed: seed)
            let keys = genes.indices.map { Foundation.log(Double($0 + 1)) + sigma * rng.gaussian() }
            let order = genes.indices.sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
            return order.prefix(k).map { genes[$0] }.joined(separator: " ")
        }
        var rng = SplitMix64(seed: 11)
        for n in [2, 3, 17, 100, 900] {
            let names = (0..<n).map { i -> String in rng.next() % 5 == 0 ? "Gène\(i)-β" : "G\(i)" }
            let cell = CellRecord(name: "c\(n)", sentence: names.joined(separator: " "), fields: ["cell_type": "T"])
            for sigma in [0.05, 0.3, 2.0] {
                let noise = try RankNoise(sigma: sigma)
                for seed in UInt64(0)..<UInt64(20) {
                    for k in [0, 1, 10, 100, n - 1, n, n + 5, Int.max] where k >= 0 {
                        let kept = noise.applied(to: cell, seed: seed, keeping: k)
                        XCTAssertEqual(kept.sentence, reference(cell, sigma: sigma, seed: seed, k: k), "n \(n), σ \(sigma), seed \(seed), k \(k)")
                        XCTAssertEqual(kept.geneCount, min(k, n))
                        XCTAssertEqual(kept.name, cell.name)
                        XCTAssertEqual(kept.fields, cell.fields)
                    }
                }
            }
        }
        // Equal keys keep the sentence's order; a later smaller key displaces the largest kept.
        XCTAssertEqual(RankNoise.smallestKeys([1, 0, 1, 0, 1], count: 3), [1, 3, 0])
        XCTAssertEqual(RankNoise.smallestKeys([3, 2, 1, 0], count: 2), [3, 2])
        XCTAssertEqual(RankNoise.smallestKeys([0, 1], count: 0), [])
    }
}
