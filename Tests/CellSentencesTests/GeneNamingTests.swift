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

    func testMouseStyleNamesKeepTheirCaseByDefault() throws {
        // Capitalised names with a few all-caps ones, as mouse files have: PISD and Pisd would
        // merge if upper-cased; by default they stay two genes.
        let mouse = ["Actb", "Pisd", "PISD", "mt-Co1", "Gapdh", "1700012B09Rik", "Gm12345"]
        let r = try GeneNaming().resolve(mouse, path: "mouse.h5ad")
        XCTAssertEqual(r.names, mouse)
        XCTAssertFalse(r.upperCased)
        XCTAssertEqual(r.style.kind, .capitalised)
        XCTAssertEqual(r.style.organism, "Mus musculus")
        XCTAssertTrue(r.clashes.isEmpty)
        // Asked to upper-case, the clash is reported as before.
        XCTAssertThrowsError(try GeneNaming(upperCase: true).resolve(mouse, path: "mouse.h5ad")) { error in
            XCTAssertTrue("\(error)".contains("PISD <- Pisd, PISD"), "\(error)")
        }
    }

    func testHumanStyleNamesAreUpperCasedAndSayHomoSapiens() throws {
        let human = ["ACTB", "MT-CO1", "C1orf56", "LINC00115", "HLA-A", "Cd3e"]
        let r = try GeneNaming().resolve(human, path: "x")
        XCTAssertTrue(r.upperCased)
        XCTAssertEqual(r.names.last, "CD3E")
        XCTAssertEqual(r.style.kind, .upperCase)
        XCTAssertEqual(r.style.organism, "Homo sapiens")
    }

    func testStyleDetection() {
        XCTAssertEqual(GeneNameStyle.classify("mt-Nd1"), .capitalised)
        XCTAssertEqual(GeneNameStyle.classify("MT-ND1"), .upperCase)
        XCTAssertEqual(GeneNameStyle.classify("actb1"), .mixed)
        XCTAssertNil(GeneNameStyle.classify("1234"))
        // Zebrafish-style lower-case names: no organism is claimed, and they are upper-cased.
        let fish = GeneNameStyle.detect(["actb1", "gapdh", "sox2", "ACTB"])
        XCTAssertEqual(fish.kind, .mixed)
        XCTAssertNil(fish.organism)
        // Half and half is not a majority.
        XCTAssertEqual(GeneNameStyle.detect(["Actb", "Gapdh", "CD3E", "LYZ"]).kind, .mixed)
        XCTAssertEqual(GeneNameStyle.detect(["Actb", "Gapdh", "CD3E", "42"]).kind, .capitalised)
    }

    func testEnsemblWarning() throws {
        let r = try GeneNaming().resolve(["ENSG00000139618", "ENSG00000141510.12", "TP53"], path: "x")
        XCTAssertEqual(r.warnings.count, 1)
        XCTAssertTrue(r.warnings[0].contains("Ensembl"))
    }
}
