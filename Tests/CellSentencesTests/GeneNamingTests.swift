import CellSentences
import SingleCell
import XCTest

final class GeneNamingTests: XCTestCase {
    let names = ["Actb", "CD3E", "ACTB", "Gapdh"]

    func testUpperCaseClashFailsByDefaultAndNamesBoth() {
        XCTAssertThrowsError(try GeneNaming().resolve(names, path: "in.h5ad")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("in.h5ad"), text)
            XCTAssertTrue(text.contains("ACTB <- Actb, ACTB"), text)
            XCTAssertTrue(text.contains("--on-duplicate"), text)
        }
    }

    func testKeepCaseAvoidsTheClash() throws {
        let r = try GeneNaming(upperCase: false).resolve(names, path: "x")
        XCTAssertEqual(r.names, names)
        XCTAssertTrue(r.isIdentity)
    }

    func testMakeUnique() throws {
        let r = try GeneNaming(policy: .makeUnique).resolve(names, path: "x")
        XCTAssertEqual(r.names, ["ACTB", "CD3E", "ACTB-1", "GAPDH"])
        XCTAssertEqual(r.clashes.map(\.name), ["ACTB"])
    }

    func testKeepFirstAndSumRemapBlocks() throws {
        // One cell: Actb=2, CD3E=1, ACTB=5, Gapdh=0 (stored zero).
        let block = CSRRows(firstRow: 0, indptr: [0, 4], indices: [0, 1, 2, 3], values: [2, 1, 5, 0])
        let first = try GeneNaming(policy: .keepFirst).resolve(names, path: "x")
        XCTAssertEqual(first.names, ["ACTB", "CD3E", "GAPDH"])
        let f = first.remap(block)
        XCTAssertEqual(f.indices, [0, 1, 2])
        XCTAssertEqual(f.values, [2, 1, 0])

        let sum = try GeneNaming(policy: .sum).resolve(names, path: "x")
        XCTAssertEqual(sum.names, ["ACTB", "CD3E", "GAPDH"])
        let s = sum.remap(block)
        XCTAssertEqual(s.indices, [0, 1, 2])
        XCTAssertEqual(s.values, [7, 1, 0])
    }

    func testExactDuplicatesAreClashesToo() {
        XCTAssertThrowsError(try GeneNaming(upperCase: false).resolve(["A", "B", "A"], path: "x"))
    }

    func testWhitespaceAndEmptyNamesAreErrors() {
        XCTAssertThrowsError(try GeneNaming().resolve(["A", "B C"], path: "genes.tsv")) { error in
            XCTAssertTrue("\(error)".contains("genes.tsv"))
        }
        XCTAssertThrowsError(try GeneNaming().resolve(["A", ""], path: "x"))
    }

    func testEnsemblWarning() throws {
        let r = try GeneNaming().resolve(["ENSG00000139618", "ENSG00000141510.12", "TP53"], path: "x")
        XCTAssertEqual(r.warnings.count, 1)
        XCTAssertTrue(r.warnings[0].contains("Ensembl"))
    }
}
