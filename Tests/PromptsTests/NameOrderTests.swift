import Mechanics
@testable import Prompts
import SingleCell
import XCTest

/// `NameOrder.sorted` must give exactly the order of String `<` (ties in index order).
final class NameOrderTests: XCTestCase {
    func reference(_ names: [String]) -> [Int] {
        names.indices.sorted { a, b in names[a] != names[b] ? names[a] < names[b] : a < b }
    }

    func testOrderIsStringOrder() {
        var rng = SplitMix64(seed: 3)
        let letters = Array("ACGT-_.1")
        // Barcode-like names sharing long prefixes, of different lengths, with repeats.
        var names = (0..<3000).map { _ -> String in
            let length = 10 + Int(rng.next() % 14)
            return String((0..<length).map { k in k < 12 ? letters[Int(rng.next() % 2)] : letters[Int(rng.next() % 8)] })
        }
        names += ["", "A", "AA", "A\u{0}", "AAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAA", names[5], names[7]]
        XCTAssertEqual(NameOrder.sorted(names), reference(names))
        // Non-ASCII names (compared as Strings: canonical equivalence, not bytes).
        let accented = names.prefix(500) + ["é", "e\u{301}", "Z", "ä", "a\u{308}b", "a"]
        XCTAssertEqual(NameOrder.sorted(Array(accented)), reference(Array(accented)))
    }
}
