import CellSentences
import Foundation
import Mechanics
import Prompts
import SingleCell
import TestSupport
import XCTest

/// Split plans, multi-cell groups and perturbation pairs.
final class SplitTests: XCTestCase {
    // MARK: - Synthetic data

    /// `count` cells with skewed cell-type sizes, 6 donors of unequal size, 2 batches and a
    /// CTRL/STIM condition. Deterministic.
    private func syntheticCells(_ count: Int = 1_000, seed: UInt64 = 7) -> [CellRecord] {
        var rng = SplitMix64(seed: seed)
        let types = ["T", "B", "NK", "Mono", "DC", "pDC"]
        let typeWeights = [0.4, 0.25, 0.15, 0.12, 0.05, 0.03]
        let donors = ["d1", "d2", "d3", "d4", "d5", "d6"]
        let donorWeights = [0.3, 0.2, 0.15, 0.15, 0.12, 0.08]
        func pick(_ items: [String], _ weights: [Double]) -> String {
            var u = rng.uniform()
            for (item, w) in zip(items, weights) { if u < w { return item }; u -= w }
            return items.last!
        }
        return (0..<count).map { i in
            CellRecord(name: "cell\(i)", sentence: "", fields: [
                "cell_type": pick(types, typeWeights),
                "donor": pick(donors, donorWeights),
                "batch": rng.uniform() < 0.5 ? "b1" : "b2",
                "stim": rng.uniform() < 0.4 ? "CTRL" : "STIM",
            ])
        }
    }

    private func fractions(_ train: Double, _ validation: Double, _ test: Double) -> SplitFractions {
        try! SplitFractions(train: train, validation: validation, test: test)
    }

    private enum SeededTestRandom {
        static func below(_ n: Int, _ rng: inout SplitMix64) -> Int { Int(rng.next() % UInt64(n)) }
    }

    private func shuffled(_ cells: [CellRecord], seed: UInt64) -> [CellRecord] {
        var rng = SplitMix64(seed: seed)
        return cells.shuffled(using: &rng)
    }

    // MARK: - Fractions

    func testFractionsValidateAndParse() throws {
        let f = try SplitFractions(argument: "0.8, 0.1,0.1")
        XCTAssertEqual(f, fractions(0.8, 0.1, 0.1))
        XCTAssertEqual(try SplitFractions(argument: "1,0,0").train, 1)
        XCTAssertThrowsError(try SplitFractions(train: 0.8, validation: 0.1, test: 0.2)) { error in
            XCTAssertTrue("\(error)".contains("add up to 1"), "\(error)")
        }
        XCTAssertThrowsError(try SplitFractions(train: 1.1, validation: -0.1, test: 0)) { error in
            XCTAssertTrue("\(error)".contains("validation"), "\(error)")
        }
        XCTAssertThrowsError(try SplitFractions(train: .nan, validation: 0.5, test: 0.5))
        for bad in ["0.8,0.2", "0.8,0.1,0.1,0", "a,b,c", "0.8,,0.2", ""] {
            XCTAssertThrowsError(try SplitFractions(argument: bad), bad) { error in
                XCTAssertTrue(error is DataError, "\(bad): \(error)")
            }
        }
    }

    // MARK: - Split plans

    func testSplitsAreDisjointAndCoverEveryCell() throws {
        let cells = syntheticCells()
        for (stratify, group) in [(nil, []), ("cell_type", []), (nil, ["donor"]), ("cell_type", ["donor"])] as [(String?, [String])] {
            let plan = try SplitPlan.make(cells: cells, fractions: fractions(0.7, 0.15, 0.15), seed: 1, stratifyBy: stratify, groupBy: group)
            XCTAssertEqual(plan.assignments.count, cells.count)
            for cell in cells {
                XCTAssertTrue(SplitPlan.splitNames.contains(plan.split(of: cell.name) ?? "none"))
            }
            let counts = plan.counts(cells: cells)
            XCTAssertEqual(counts["train"]! + counts["validation"]! + counts["test"]!, cells.count)
            XCTAssertNil(counts["unassigned"])
            XCTAssertNoThrow(try plan.check(covers: cells, path: "splits.json"))
        }
        XCTAssertNil(try SplitPlan.make(cells: cells, fractions: fractions(0.8, 0.1, 0.1), seed: 1, stratifyBy: nil, groupBy: []).split(of: "nobody"))
    }

    func testFractionsRespectedWithinRounding() throws {
        for n in [1, 2, 3, 7, 10, 99, 1_000, 1_001] {
            let cells = syntheticCells(n)
            for f in [fractions(0.8, 0.1, 0.1), fractions(0.5, 0.25, 0.25), fractions(1.0 / 3, 1.0 / 3, 1.0 / 3), fractions(0.9, 0.1, 0)] {
                for stratify in [nil, "cell_type", "cell_name"] as [String?] {
                    let plan = try SplitPlan.make(cells: cells, fractions: f, seed: 3, stratifyBy: stratify, groupBy: [])
                    let counts = plan.counts(cells: cells)
                    for (name, share) in zip(SplitPlan.splitNames, [f.train, f.validation, f.test]) {
                        XCTAssertLessThan(abs(Double(counts[name]!) - share * Double(n)), 1, "n=\(n) \(f) \(stratify ?? "-") \(name)")
                    }
                    if f.test == 0 { XCTAssertEqual(counts["test"], 0) }
                }
            }
        }
    }

    func testStratifiedGivesEverySplitItsShareOfEveryClass() throws {
        let cells = syntheticCells(2_000)
        let f = fractions(0.8, 0.1, 0.1)
        let plan = try SplitPlan.make(cells: cells, fractions: f, seed: 11, stratifyBy: "cell_type", groupBy: [])
        let counts = plan.counts(cells: cells)
        var classSizes: [String: Int] = [:]
        for cell in cells { classSizes[cell.fields["cell_type"]!, default: 0] += 1 }
        for (label, size) in classSizes where size >= 10 {
            for (name, share) in zip(SplitPlan.splitNames, [f.train, f.validation, f.test]) {
                let got = counts["\(name)/\(label)", default: 0]
                XCTAssertGreaterThan(got, 0, "\(label) missing from \(name)")
                XCTAssertLessThanOrEqual(abs(Double(got) - share * Double(size)), 1, "\(label) in \(name)")
            }
        }
    }

    func testManyTinyStrataStillGiveEverySplitItsShare() throws {
        // 300 classes of one or two cells: per-class rounding alone would put all in train.
        let cells = (0..<450).map { i in CellRecord(name: "c\(i)", sentence: "", fields: ["label": "L\(i % 300)"]) }
        let plan = try SplitPlan.make(cells: cells, fractions: fractions(0.8, 0.1, 0.1), seed: 5, stratifyBy: "label", groupBy: [])
        let counts = plan.counts(cells: cells)
        XCTAssertEqual(counts["train"], 360)
        XCTAssertEqual(counts["validation"], 45)
        XCTAssertEqual(counts["test"], 45)
    }

    func testStratifiedRoundingIsExactForRandomTables() throws {
        // Random stratum sizes and fractions: every stratum's count in every split is its share
        // rounded down or up, and the split totals are the overall shares by largest remainder.
        var rng = SplitMix64(seed: 99)
        for trial in 0..<60 {
            let strata = 1 + SeededTestRandom.below(40, &rng)
            var cells: [CellRecord] = []
            for s in 0..<strata {
                for j in 0..<(1 + SeededTestRandom.below(trial % 2 == 0 ? 5 : 60, &rng)) {
                    cells.append(CellRecord(name: "s\(s)c\(j)", sentence: "", fields: ["label": "s\(s)"]))
                }
            }
            let a = rng.uniform(), b = rng.uniform() * (1 - a)
            let f = fractions(a, b, 1 - a - b)
            let plan = try SplitPlan.make(cells: cells, fractions: f, seed: UInt64(trial), stratifyBy: "label", groupBy: [])
            let counts = plan.counts(cells: cells)
            var sizes: [String: Int] = [:]
            for cell in cells { sizes[cell.fields["label"]!, default: 0] += 1 }
            for (name, share) in zip(SplitPlan.splitNames, [f.train, f.validation, f.test]) {
                XCTAssertLessThan(abs(Double(counts[name]!) - share * Double(cells.count)), 1, "trial \(trial) \(name)")
                for (label, size) in sizes {
                    XCTAssertLessThan(abs(Double(counts["\(name)/\(label)", default: 0]) - share * Double(size)), 1, "trial \(trial) \(name)/\(label)")
                }
            }
        }
    }

    func testMissingValuesFormTheirOwnStratum() throws {
        var cells = syntheticCells(400)
        for i in stride(from: 0, to: 400, by: 4) { cells[i].fields["cell_type"] = nil }
        let plan = try SplitPlan.make(cells: cells, fractions: fractions(0.5, 0.25, 0.25), seed: 2, stratifyBy: "cell_type", groupBy: [])
        let counts = plan.counts(cells: cells)
        XCTAssertEqual(counts["train/NA"], 50)
        XCTAssertEqual(counts["validation/NA"], 25)
        XCTAssertEqual(counts["test/NA"], 25)
    }

    func testSameSeedSameSplitsOtherSeedDifferent() throws {
        let cells = syntheticCells()
        for (stratify, group) in [("cell_type", []), (nil, ["donor", "batch"])] as [(String?, [String])] {
            let a = try SplitPlan.make(cells: cells, fractions: fractions(0.8, 0.1, 0.1), seed: 42, stratifyBy: stratify, groupBy: group)
            let b = try SplitPlan.make(cells: cells, fractions: fractions(0.8, 0.1, 0.1), seed: 42, stratifyBy: stratify, groupBy: group)
            let c = try SplitPlan.make(cells: cells, fractions: fractions(0.8, 0.1, 0.1), seed: 43, stratifyBy: stratify, groupBy: group)
            XCTAssertEqual(a, b)
            XCTAssertNotEqual(a.assignments, c.assignments, "\(group)")
        }
    }

    func testIndependentOfInputCellOrder() throws {
        let cells = syntheticCells()
        for (stratify, group) in [(nil, []), ("cell_type", []), ("cell_type", ["donor", "batch"])] as [(String?, [String])] {
            let a = try SplitPlan.make(cells: cells, fractions: fractions(0.8, 0.1, 0.1), seed: 9, stratifyBy: stratify, groupBy: group)
            let b = try SplitPlan.make(cells: shuffled(cells, seed: 1), fractions: fractions(0.8, 0.1, 0.1), seed: 9, stratifyBy: stratify, groupBy: group)
            XCTAssertEqual(a, b)
        }
    }

    func testGroupedKeepsEveryGroupInOneSplit() throws {
        let cells = syntheticCells(3_000)
        for (stratify, group) in [(nil, ["donor", "batch"]), ("cell_type", ["donor", "batch"]), ("cell_type", ["donor", "cell_type"])] as [(String?, [String])] {
            let plan = try SplitPlan.make(cells: cells, fractions: fractions(0.6, 0.2, 0.2), seed: 4, stratifyBy: stratify, groupBy: group)
            var splitOfGroup: [[String]: String] = [:]
            for cell in cells {
                let key = group.map { cell.fields[$0]! }
                let split = plan.split(of: cell.name)!
                if let earlier = splitOfGroup[key] { XCTAssertEqual(earlier, split, "\(key)") } else { splitOfGroup[key] = split }
            }
            // Every split gets something and the largest miss is below the largest group.
            var groupSizes: [[String]: Int] = [:]
            for cell in cells { groupSizes[group.map { cell.fields[$0]! }, default: 0] += 1 }
            let largest = groupSizes.values.max()!
            let counts = plan.counts(cells: cells)
            for (name, share) in zip(SplitPlan.splitNames, [0.6, 0.2, 0.2]) {
                XCTAssertGreaterThan(counts[name]!, 0)
                XCTAssertLessThan(abs(Double(counts[name]!) - share * 3_000), Double(largest), "\(group) \(name)")
            }
        }
    }

    func testGroupedWithEqualGroupsHitsFractionsExactly() throws {
        // 20 donors of 10 cells each: 0.6/0.2/0.2 can be met exactly.
        let cells = (0..<200).map { i in CellRecord(name: "c\(i)", sentence: "", fields: ["donor": "d\(i % 20)", "type": i % 3 == 0 ? "A" : "B"]) }
        for stratify in [nil, "type"] as [String?] {
            let plan = try SplitPlan.make(cells: cells, fractions: fractions(0.6, 0.2, 0.2), seed: 8, stratifyBy: stratify, groupBy: ["donor"])
            let counts = plan.counts(cells: cells)
            XCTAssertEqual([counts["train"], counts["validation"], counts["test"]], [120, 40, 40])
        }
        // A zero fraction gets no group; missing group values form the group "NA".
        var withMissing = cells
        for i in 0..<5 { withMissing[i].fields["donor"] = nil }
        let plan = try SplitPlan.make(cells: withMissing, fractions: fractions(0.5, 0.5, 0), seed: 8, stratifyBy: nil, groupBy: ["donor"])
        let counts = plan.counts(cells: withMissing)
        XCTAssertEqual(counts["test"], 0)
        XCTAssertEqual(Set((0..<5).map { plan.split(of: "c\($0)")! }).count, 1)
    }

    func testUnknownColumnsAndDuplicateNamesAreErrors() {
        let cells = syntheticCells(20)
        XCTAssertThrowsError(try SplitPlan.make(cells: cells, fractions: fractions(0.8, 0.1, 0.1), seed: 1, stratifyBy: "celltype", groupBy: [])) { error in
            let message = "\(error)"
            XCTAssertTrue(error is DataError)
            XCTAssertTrue(message.contains("celltype") && message.contains("cell_type") && message.contains("cell_name") && message.contains("donor"), message)
        }
        XCTAssertThrowsError(try SplitPlan.make(cells: cells, fractions: fractions(0.8, 0.1, 0.1), seed: 1, stratifyBy: nil, groupBy: ["donr"])) { error in
            XCTAssertTrue("\(error)".contains("donr"), "\(error)")
        }
        var duplicated = cells
        duplicated.append(cells[3])
        XCTAssertThrowsError(try SplitPlan.make(cells: duplicated, fractions: fractions(0.8, 0.1, 0.1), seed: 1, stratifyBy: nil, groupBy: [])) { error in
            XCTAssertTrue("\(error)".contains("cell3"), "\(error)")
        }
    }

    func testWriteReadRoundTrip() throws {
        let folder = try TemporaryFolder()
        let cells = syntheticCells(300)
        for (stratify, group, seed) in [("cell_type", ["donor"], UInt64.max), (nil, [], 0)] as [(String?, [String], UInt64)] {
            let plan = try SplitPlan.make(cells: cells, fractions: fractions(0.8, 0.1, 0.1), seed: seed, stratifyBy: stratify, groupBy: group)
            let path = folder.file("splits.json")
            try plan.write(to: path)
            XCTAssertEqual(try SplitPlan.read(path: path), plan)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
            XCTAssertEqual(Set(json.keys), ["seed", "fractions", "stratify_by", "group_by", "assignments"])
            // Same plan, same bytes.
            let first = try Data(contentsOf: URL(fileURLWithPath: path))
            try plan.write(to: path)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), first)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["splits.json"])
        XCTAssertThrowsError(try SplitPlan.make(cells: cells, fractions: fractions(1, 0, 0), seed: 1, stratifyBy: nil, groupBy: []).write(to: folder.path + "/no/such/folder/splits.json")) { error in
            XCTAssertTrue(error is FileError, "\(error)")
        }
    }

    func testReadMissingOrInvalidFileIsFileError() throws {
        let folder = try TemporaryFolder()
        let missing = folder.file("missing.json")
        XCTAssertThrowsError(try SplitPlan.read(path: missing)) { error in
            XCTAssertEqual((error as? FileError)?.path, missing)
        }
        let cases = [
            "not json",
            #"{"seed": 1}"#,
            #"{"seed": 1, "fractions": {"train": 0.5, "validation": 0.1, "test": 0.1}, "group_by": [], "assignments": {}}"#,
            #"{"seed": 1, "fractions": {"train": 1, "validation": 0, "test": 0}, "group_by": [], "assignments": {"a": "training"}}"#,
        ]
        for (i, text) in cases.enumerated() {
            let path = folder.file("bad\(i).json")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try SplitPlan.read(path: path), text) { error in
                XCTAssertEqual((error as? FileError)?.path, path, "\(error)")
            }
        }
    }

    func testCheckCoversNamesFileAndMissingCells() throws {
        let cells = syntheticCells(50)
        let plan = try SplitPlan.make(cells: Array(cells.prefix(40)), fractions: fractions(0.8, 0.1, 0.1), seed: 1, stratifyBy: nil, groupBy: [])
        XCTAssertNoThrow(try plan.check(covers: Array(cells.prefix(40)), path: "splits.json"))
        XCTAssertThrowsError(try plan.check(covers: cells, path: "old/splits.json")) { error in
            guard let error = error as? FileError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.path, "old/splits.json")
            XCTAssertTrue(error.problem.contains("10 of 50"), error.problem)
            XCTAssertTrue(error.problem.contains("cell40"), error.problem)
        }
        XCTAssertEqual(plan.counts(cells: cells)["unassigned"], 10)
    }

    // MARK: - Cell groups

    func testGroupsHaveSizesInRangeAndHomogeneousKeys() throws {
        let cells = syntheticCells(1_000)
        let indices = Array(cells.indices)
        let groups = try CellGrouping.groups(cells: cells, indices: indices, by: ["cell_type", "batch"], sizes: 3...5, seed: 1)
        XCTAssertFalse(groups.isEmpty)
        var used = Set<Int>()
        for group in groups {
            XCTAssertTrue((3...5).contains(group.members.count), "\(group.members.count)")
            for i in group.members {
                XCTAssertEqual([cells[i].fields["cell_type"]!, cells[i].fields["batch"]!], group.key)
                XCTAssertTrue(used.insert(i).inserted, "cell \(i) in two groups")
            }
        }
        // Ordered by key; every key with at least 3 cells is used whole (3...5 can cut any such count).
        XCTAssertEqual(groups.map(\.key), groups.map(\.key).sorted { $0.lexicographicallyPrecedes($1) })
        var keySizes: [[String]: Int] = [:]
        for cell in cells { keySizes[[cell.fields["cell_type"]!, cell.fields["batch"]!], default: 0] += 1 }
        XCTAssertEqual(used.count, keySizes.values.filter { $0 >= 3 }.reduce(0, +))
    }

    func testGroupsAreDeterministicAndOrderIndependent() throws {
        let cells = syntheticCells(500)
        let a = try CellGrouping.groups(cells: cells, indices: Array(cells.indices), by: ["cell_type"], sizes: 2...4, seed: 3)
        let b = try CellGrouping.groups(cells: cells, indices: Array(cells.indices), by: ["cell_type"], sizes: 2...4, seed: 3)
        let c = try CellGrouping.groups(cells: cells, indices: Array(cells.indices), by: ["cell_type"], sizes: 2...4, seed: 4)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        let reversed = Array(cells.indices.reversed())
        XCTAssertEqual(try CellGrouping.groups(cells: cells, indices: reversed, by: ["cell_type"], sizes: 2...4, seed: 3), a)
        // Groups by name: the same cells in another order give the same named groups.
        let permuted = shuffled(cells, seed: 2)
        let d = try CellGrouping.groups(cells: permuted, indices: Array(permuted.indices), by: ["cell_type"], sizes: 2...4, seed: 3)
        XCTAssertEqual(d.map { $0.members.map { permuted[$0].name } }, a.map { $0.members.map { cells[$0].name } })
    }

    func testGroupChunkingDropsSmallGroupsAndSkipsMissingValues() throws {
        func cells(_ sizes: [Int]) -> [CellRecord] {
            var result: [CellRecord] = []
            for (g, size) in sizes.enumerated() {
                for j in 0..<size { result.append(CellRecord(name: "g\(g)c\(j)", sentence: "", fields: ["k": "g\(g)"])) }
            }
            result.append(CellRecord(name: "nokey", sentence: ""))
            return result
        }
        let input = cells([2, 3, 7, 10, 12])
        let groups = try CellGrouping.groups(cells: input, indices: Array(input.indices), by: ["k"], sizes: 5...6, seed: 1)
        let sizes = Dictionary(grouping: groups, by: { $0.key[0] }).mapValues { $0.map(\.members.count) }
        XCTAssertNil(sizes["g0"])            // 2 < 5: dropped
        XCTAssertNil(sizes["g1"])            // 3 < 5: dropped
        XCTAssertEqual(sizes["g2"], [6])     // 7 cannot be cut into 5...6: one full chunk, one left out
        XCTAssertEqual(sizes["g3"], [5, 5])
        XCTAssertEqual(sizes["g4"], [6, 6])
        let even = try CellGrouping.groups(cells: input, indices: Array(input.indices), by: ["k"], sizes: 2...4, seed: 1)
        XCTAssertEqual(even.filter { $0.key == ["g3"] }.map(\.members.count), [4, 3, 3])
        XCTAssertFalse(even.contains { $0.members.contains(input.count - 1) })
        // No columns: everything with one key.
        let all = try CellGrouping.groups(cells: input, indices: [0, 1, 2, 3], by: [], sizes: 2...2, seed: 1)
        XCTAssertEqual(all.map(\.members.count), [2, 2])
        XCTAssertThrowsError(try CellGrouping.groups(cells: input, indices: [0], by: ["kk"], sizes: 2...3, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("kk") && "\(error)".contains("cell_name"), "\(error)")
        }
        XCTAssertThrowsError(try CellGrouping.groups(cells: input, indices: [0], by: ["k"], sizes: 0...3, seed: 1))
    }

    // MARK: - Perturbation pairs

    func testPerturbationPairsNeverCrossMatchColumns() throws {
        let cells = syntheticCells(1_000)
        let indices = Array(cells.indices)
        for match in [["cell_type"], ["cell_type", "batch"]] {
            let (pairs, unmatched) = try PerturbationPairing.pairs(cells: cells, indices: indices, perturbationColumn: "stim", controlValue: "CTRL", matchColumns: match, seed: 1)
            let stimCount = cells.filter { $0.fields["stim"] == "STIM" }.count
            XCTAssertEqual(pairs.count + unmatched, stimCount)
            XCTAssertEqual(Set(pairs.map(\.perturbed)).count, pairs.count)
            for pair in pairs {
                XCTAssertEqual(cells[pair.control].fields["stim"], "CTRL")
                XCTAssertEqual(cells[pair.perturbed].fields["stim"], "STIM")
                XCTAssertEqual(pair.perturbation, "STIM")
                for column in match { XCTAssertEqual(cells[pair.control].fields[column], cells[pair.perturbed].fields[column]) }
            }
            // No control is reused before its stratum's controls run out.
            var uses: [[String]: [Int: Int]] = [:]
            var controlsPerStratum: [[String]: Int] = [:]
            for cell in cells where cell.fields["stim"] == "CTRL" { controlsPerStratum[match.map { cell.fields[$0]! }, default: 0] += 1 }
            for pair in pairs { uses[match.map { cells[pair.control].fields[$0]! }, default: [:]][pair.control, default: 0] += 1 }
            for (key, counts) in uses {
                let spread = counts.values.max()! - (counts.count < controlsPerStratum[key]! ? 0 : counts.values.min()!)
                XCTAssertLessThanOrEqual(spread, 1, "\(key)")
            }
            let again = try PerturbationPairing.pairs(cells: cells, indices: indices, perturbationColumn: "stim", controlValue: "CTRL", matchColumns: match, seed: 1)
            XCTAssertEqual(again.pairs, pairs)
        }
    }

    func testPerturbationPairsUnmatchedOrderIndependenceAndErrors() throws {
        var cells = [
            CellRecord(name: "c1", sentence: "", fields: ["drug": "none", "type": "A"]),
            CellRecord(name: "c2", sentence: "", fields: ["drug": "none", "type": "A"]),
            CellRecord(name: "p1", sentence: "", fields: ["drug": "x", "type": "A"]),
            CellRecord(name: "p2", sentence: "", fields: ["drug": "y", "type": "A"]),
            CellRecord(name: "p3", sentence: "", fields: ["drug": "x", "type": "A"]),
            CellRecord(name: "p4", sentence: "", fields: ["drug": "x", "type": "B"]),
            CellRecord(name: "p5", sentence: "", fields: ["drug": "x"]),
            CellRecord(name: "u", sentence: "", fields: ["type": "A"]),
        ]
        let (pairs, unmatched) = try PerturbationPairing.pairs(cells: cells, indices: Array(cells.indices), perturbationColumn: "drug", controlValue: "none", matchColumns: ["type"], seed: 5)
        XCTAssertEqual(unmatched, 2)  // p4 (no B control) and p5 (no type)
        XCTAssertEqual(pairs.map(\.perturbed), [2, 3, 4])
        XCTAssertEqual(pairs.map(\.perturbation), ["x", "y", "x"])
        // Two controls for three cells: p1 and p2 get different controls, p3 reuses p1's.
        XCTAssertNotEqual(pairs[0].control, pairs[1].control)
        XCTAssertEqual(pairs[2].control, pairs[0].control)
        // Same cells in reverse order: same named pairs.
        cells.reverse()
        let reversed = try PerturbationPairing.pairs(cells: cells, indices: Array(cells.indices), perturbationColumn: "drug", controlValue: "none", matchColumns: ["type"], seed: 5)
        XCTAssertEqual(Set(reversed.pairs.map { "\(cells[$0.control].name)-\(cells[$0.perturbed].name)" }), ["c\(pairs[0].control + 1)-p1", "c\(pairs[1].control + 1)-p2", "c\(pairs[0].control + 1)-p3"])
        XCTAssertEqual(reversed.unmatched, 2)

        XCTAssertThrowsError(try PerturbationPairing.pairs(cells: cells, indices: Array(cells.indices), perturbationColumn: "drug", controlValue: "DMSO", matchColumns: ["type"], seed: 5)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("DMSO") && message.contains("none") && message.contains("x"), message)
        }
        XCTAssertThrowsError(try PerturbationPairing.pairs(cells: cells, indices: [0], perturbationColumn: "treatment", controlValue: "none", matchColumns: [], seed: 5)) { error in
            XCTAssertTrue("\(error)".contains("treatment") && "\(error)".contains("drug"), "\(error)")
        }
        XCTAssertThrowsError(try PerturbationPairing.pairs(cells: cells, indices: [0], perturbationColumn: "drug", controlValue: "none", matchColumns: ["tpye"], seed: 5))
        // Nothing to pair: empty, not an error.
        let empty = try PerturbationPairing.pairs(cells: cells, indices: [], perturbationColumn: "drug", controlValue: "DMSO", matchColumns: ["type"], seed: 5)
        XCTAssertTrue(empty.pairs.isEmpty)
        XCTAssertEqual(empty.unmatched, 0)
    }

    // MARK: - Real data

    /// The Kang IFN-beta subset: 2,000 PBMCs, `stim` CTRL/STIM, `seurat_annotations` cell types.
    private func kangCells() throws -> [CellRecord] {
        let path = try TestPaths.sharedFile("kang-ifnb-sub2k/obs.csv")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.map { line in
            let values = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var fields: [String: String] = [:]
            for (column, value) in zip(header.dropFirst(), values.dropFirst()) where !value.isEmpty { fields[column] = value }
            return CellRecord(name: values[0], sentence: "", fields: fields)
        }
    }

    func testKangStimCellsPairWithControlsOfTheSameType() throws {
        let cells = try kangCells()
        XCTAssertEqual(cells.count, 2_000)
        let (pairs, unmatched) = try PerturbationPairing.pairs(cells: cells, indices: Array(cells.indices), perturbationColumn: "stim", controlValue: "CTRL", matchColumns: ["seurat_annotations"], seed: 2024)
        let controlTypes = Set(cells.filter { $0.fields["stim"] == "CTRL" }.compactMap { $0.fields["seurat_annotations"] })
        let stim = cells.indices.filter { cells[$0].fields["stim"] == "STIM" }
        let stimWithoutControl = stim.filter { !controlTypes.contains(cells[$0].fields["seurat_annotations"]!) }
        XCTAssertFalse(stimWithoutControl.isEmpty, "the subset has STIM-only erythrocytes")
        XCTAssertEqual(unmatched, stimWithoutControl.count)
        XCTAssertEqual(Set(pairs.map(\.perturbed)), Set(stim).subtracting(stimWithoutControl))
        for pair in pairs {
            XCTAssertEqual(cells[pair.control].fields["stim"], "CTRL")
            XCTAssertEqual(cells[pair.perturbed].fields["stim"], "STIM")
            XCTAssertEqual(cells[pair.control].fields["seurat_annotations"], cells[pair.perturbed].fields["seurat_annotations"])
        }

        // A stratified split of the same data gives every split its share of every common type.
        let f = fractions(0.8, 0.1, 0.1)
        let plan = try SplitPlan.make(cells: cells, fractions: f, seed: 1, stratifyBy: "seurat_annotations", groupBy: [])
        let counts = plan.counts(cells: cells)
        XCTAssertEqual([counts["train"], counts["validation"], counts["test"]], [1_600, 200, 200])
        var typeSizes: [String: Int] = [:]
        for cell in cells { typeSizes[cell.fields["seurat_annotations"]!, default: 0] += 1 }
        for (type, size) in typeSizes where size >= 10 {
            for (name, share) in zip(SplitPlan.splitNames, [0.8, 0.1, 0.1]) {
                XCTAssertLessThanOrEqual(abs(Double(counts["\(name)/\(type)", default: 0]) - share * Double(size)), 1, "\(type) \(name)")
            }
        }
    }
}
