import CellSentences
@testable import Evaluation
import SingleCell
import TestSupport
import XCTest

/// Pieces of the evaluation metrics that have no outside reference: parsing, alignment,
/// subsampling, and the fast kernels against plain loops.
final class EvaluationUnitTests: XCTestCase {
    func testCSVTableQuotesCRLFAndErrors() throws {
        let tmp = try TemporaryFolder()
        let path = tmp.file("t.csv")
        try "\u{FEFF}cell,truth,pred\r\nc1,\"B, naive\",\"say \"\"hi\"\"\"\r\n\r\nc2,\"multi\nline\",x\r\nc3,,y".write(toFile: path, atomically: true, encoding: .utf8)
        let t = try CSVTable(path: path)
        XCTAssertEqual(t.header, ["cell", "truth", "pred"])
        XCTAssertEqual(try t.column("truth"), ["B, naive", "multi\nline", ""])
        XCTAssertEqual(try t.column("pred"), ["say \"hi\"", "x", "y"])
        XCTAssertThrowsError(try t.column("nope")) { XCTAssertTrue("\($0)".contains("columns: cell, truth, pred")) }
        try "a,b\n1,2,3\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CSVTable(path: path)) { XCTAssertTrue("\($0)".contains("row 2 has 3 fields")) }
        try "a,b\n\"1,2\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CSVTable(path: path)) { XCTAssertTrue("\($0)".contains("never closed")) }
        XCTAssertEqual(CSVField.quote("plain"), "plain")
        XCTAssertEqual(CSVField.quote("a \"b\", c"), "\"a \"\"b\"\", c\"")
    }

    func testGeneAlignmentKeepsReferenceOrder() throws {
        let a = try GeneAlignment([("r", ["A", "B", "C", "D"]), ("g", ["D", "X", "B", "A"]), ("t", ["B", "D", "A", "C"])])
        XCTAssertEqual(a.genes, ["A", "B", "D"])
        XCTAssertEqual(a.columns, [[0, 1, 3], [3, 2, 0], [2, 0, 1]])
        XCTAssertEqual(a.dropped, [1, 1, 1])
        XCTAssertThrowsError(try GeneAlignment([("r", ["A", "A"]), ("g", ["A"])])) { XCTAssertTrue("\($0)".contains("r: gene 'A' appears more than once")) }
        XCTAssertThrowsError(try GeneAlignment([("r", ["A"]), ("g", ["B"])])) { XCTAssertTrue("\($0)".hasPrefix("g: shares no gene name with r")) }
        XCTAssertThrowsError(try GeneAlignment([("r", ["A", "B"]), ("g", ["A"]), ("t", ["B"])])) { XCTAssertTrue("\($0)".contains("no gene name is in every one")) }
    }

    func testSeededSubsampleIsReproducibleAndSorted() {
        XCTAssertEqual(SeededSubsample.indices(count: 5, size: 10, seed: 1), [0, 1, 2, 3, 4])
        let a = SeededSubsample.indices(count: 1000, size: 100, seed: 42)
        XCTAssertEqual(a, SeededSubsample.indices(count: 1000, size: 100, seed: 42))
        XCTAssertNotEqual(a, SeededSubsample.indices(count: 1000, size: 100, seed: 43))
        XCTAssertEqual(a, a.sorted())
        XCTAssertEqual(Set(a).count, 100)
    }

    func randomRows(_ rows: Int, _ columns: Int, density: Double, _ rng: inout SeededGenerator) -> FeatureRows {
        var dense = [Double](repeating: 0, count: rows * columns)
        for i in 0..<dense.count where Double(rng.next() % 1000) / 1000 < density {
            dense[i] = Double(rng.next() % 4096) / 512 - 2
        }
        return FeatureRows(dense: dense, rows: rows, columns: columns)
    }

    func testGramMatrixEqualsPlainProduct() {
        var rng = SeededGenerator(seed: 3)
        let x = randomRows(150, 37, density: 0.3, &rng)
        let dense = x.dense()
        let gram = GramMatrix.compute(x, threads: 2)
        for i in 0..<37 {
            for j in 0..<37 {
                var s = 0.0
                for r in 0..<150 { s += dense[r * 37 + i] * dense[r * 37 + j] }
                XCTAssertEqual(gram[i * 37 + j], s, accuracy: 1e-9)
            }
        }
    }

    func testMatrixProductEqualsPlainLoops() {
        var rng = SeededGenerator(seed: 5)
        for (n, k, m) in [(1, 1, 1), (7, 5, 3), (33, 130, 17), (64, 300, 64)] {
            let a = (0..<(n * k)).map { _ in Double(rng.next() % 2000) / 1000 - 1 }
            let b = (0..<(k * m)).map { _ in Double(rng.next() % 2000) / 1000 - 1 }
            var out = [Double](repeating: .nan, count: n * m)
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { po in
                MatrixProduct.multiply(pa.baseAddress!, pb.baseAddress!, into: po.baseAddress!, n: n, k: k, m: m, threads: 2)
            } } }
            for i in 0..<n {
                for j in 0..<m {
                    var s = 0.0
                    for t in 0..<k { s += a[i * k + t] * b[t * m + j] }
                    XCTAssertEqual(out[i * m + j], s, accuracy: 1e-9, "\(n)x\(k)x\(m)")
                }
            }
        }
    }

    func testEuclideanSearchEqualsBruteForceAndIgnoresThreadCount() {
        var rng = SeededGenerator(seed: 11)
        let refs = randomRows(300, 40, density: 0.2, &rng), queries = randomRows(70, 40, density: 0.2, &rng)
        let rd = refs.dense(), qd = queries.dense()
        let one = EuclideanNeighbors.search(queries: queries, references: refs, ks: [7, 1], threads: 1)
        let two = EuclideanNeighbors.search(queries: queries, references: refs, ks: [7, 1], threads: 2)
        XCTAssertEqual(one[0].indices, two[0].indices)
        EuclideanNeighbors.useNativeKernel = false
        let portable = EuclideanNeighbors.search(queries: queries, references: refs, ks: [7, 1], threads: 2)
        EuclideanNeighbors.useNativeKernel = true
        XCTAssertEqual(one[0].indices, portable[0].indices, "C and Swift kernels")
        for (a, b) in zip(one[0].distances, portable[0].distances) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        for q in 0..<70 {
            var d: [(Double, Int)] = (0..<300).map { r in
                var s = 0.0
                for c in 0..<40 { let x = qd[q * 40 + c] - rd[r * 40 + c]; s += x * x }
                return (s.squareRoot(), r)
            }
            d.sort { $0 < $1 }
            XCTAssertEqual(one[0].neighbors(of: q).map { Int($0) }, d.prefix(7).map(\.1), "query \(q)")
            for j in 0..<7 { XCTAssertEqual(one[0].distances[q * 7 + j], d[j].0, accuracy: 1e-9) }
            XCTAssertEqual(Int(one[1].indices[q]), d[0].1)
        }
    }

    func testTokenSequencesFromExpressionRankByValueThenColumn() {
        let rows = FeatureRows(dense: [0, 2, 1, 2, 0, 0, 0, 0, 5, 0, 0, 0], rows: 3, columns: 4)
        let t = TokenSequences.ranking(rows, ids: [10, 11, -1, 13], limit: 2)
        XCTAssertEqual(t.sequence(0).map { $0 }, [11, 13])
        XCTAssertEqual(t.sequence(1).map { $0 }, [])
        XCTAssertEqual(t.sequence(2).map { $0 }, [10])
        let words = TokenSequences.words(of: ["cd3e FOO  CD3E. LYZ", ""], lookup: GeneLookup(["CD3E", "LYZ"]), limit: 3)
        XCTAssertEqual(words.sequence(0).map { $0 }, [0, -1, 0])
        XCTAssertEqual(words.count, 2)
    }

    func testGromovWassersteinRejectsAsymmetricInput() {
        XCTAssertThrowsError(try GromovWasserstein.solve([0, 1, 2, 0], n: 2, [0, 1, 1, 0], m: 2))
        // Identical spaces: the loss is small and the plan keeps its mass.
        let c = [0, 1, 2, 1, 0, 1, 2, 1, 0.0]
        let r = try! GromovWasserstein.solve(c, n: 3, c, m: 3)
        XCTAssertLessThan(r.massError, 1e-9)
        XCTAssertTrue(r.converged)
    }

    func testEditDistanceKernelsAgree() {
        var rng = SeededGenerator(seed: 19)
        func sequences(_ count: Int, _ maxLength: Int) -> TokenSequences {
            var tokens: [Int32] = [], offsets = [0]
            for _ in 0..<count {
                let n = Int(rng.next() % UInt64(maxLength + 1))
                for _ in 0..<n { tokens.append(Int32(Int(rng.next() % 13) - 1)) }
                offsets.append(tokens.count)
            }
            return TokenSequences(tokens: tokens, offsets: offsets)
        }
        for maxLength in [5, 64, 100, 190] {
            let q = sequences(21, maxLength), r = sequences(45, maxLength)
            EditDistanceNeighbors.useNativeKernel = true
            let native = EditDistanceNeighbors.matrix(queries: q, references: r, symbols: 12)
            EditDistanceNeighbors.useNativeKernel = false
            let portable = EditDistanceNeighbors.matrix(queries: q, references: r, symbols: 12)
            EditDistanceNeighbors.useNativeKernel = true
            XCTAssertEqual(native, portable, "max length \(maxLength), native path \(EditDistanceNeighbors.nativeKernelPath)")
            for i in 0..<q.count {
                for j in 0..<r.count {
                    XCTAssertEqual(portable[i * r.count + j], EditDistance.distance(Array(q.sequence(i)), Array(r.sequence(j))))
                }
            }
        }
    }
}
