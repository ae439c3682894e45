import CellSentences
import SingleCell
import XCTest

final class RankTransformTests: XCTestCase {
    func order(_ values: [Float], cell: Int = 0, seed: UInt64 = 0) -> [Int] {
        let rank = RankTransform(seed: seed)
        var out = [Int32](repeating: -1, count: values.count)
        let n = values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                rank.order(cell: cell, values: v.baseAddress!, count: values.count, scratch: .init(), into: o.baseAddress!)
            }
        }
        return out.prefix(n).map(Int.init)
    }

    func testDescendingAndZerosNeverAppear() {
        let values: [Float] = [1, 0, 5, 3, 0, 2]
        XCTAssertEqual(order(values), [2, 3, 5, 0])
    }

    func testTiesAreBrokenBySeedAndCellOnly() {
        let values = [Float](repeating: 1, count: 12) + [2]
        let a = order(values, cell: 7, seed: 1)
        XCTAssertEqual(a.first, 12, "the highest value comes first whatever the ties")
        XCTAssertEqual(a, order(values, cell: 7, seed: 1), "same seed and cell give the same order")
        XCTAssertNotEqual(a, order(values, cell: 8, seed: 1), "another cell shuffles its ties differently")
        XCTAssertNotEqual(a, order(values, cell: 7, seed: 2), "another seed shuffles ties differently")
        XCTAssertEqual(Set(a), Set(0..<13))
    }

    func testTieOrderIsUniform() {
        // Every order of four tied genes should turn up about equally often over many cells.
        var seen: [[Int]: Int] = [:]
        for cell in 0..<24_000 { seen[order([1, 1, 1, 1], cell: cell), default: 0] += 1 }
        XCTAssertEqual(seen.count, 24)
        for (_, count) in seen { XCTAssertEqual(Double(count), 1000, accuracy: 150) }
    }
}
