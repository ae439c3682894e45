import C2S
import CellSentences
import Foundation
import Prompts
import SingleCell
import TestSupport
import XCTest

/// `CorpusBuilding` (what `c2s corpus` wraps) on small simulated sentence datasets: splits that
/// never share a dataset (or a dataset's donor group) between two splits, weights that set each
/// source's examples, the manifest's counts and checksums, errors that name the source and
/// leave nothing behind.
final class CorpusBuildingTests: XCTestCase {
    /// A sentence dataset of simulated cells (3 types, batches `batch1`/`batch2`) at `folder`.
    func makeDataset(_ folder: String, cells: Int, genes: Int, seed: UInt64, columns: [String] = ["cell_type", "batch"]) throws {
        let counts = folder + ".h5ad"
        try CountSimulator(CountSimulator.Parameters(cells: cells, genes: genes, cellTypes: 3, seed: seed)).write(to: counts)
        var options = ConversionOptions()
        options.preprocessing.minGenes = 0
        options.obsColumns = columns
        options.checksum = false
        _ = try CellSentenceConverter.convert(try ExpressionReader.open(counts), to: folder, options: options)
    }

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func cellCount(_ folder: String) throws -> Int {
        try String(contentsOfFile: folder + "/cells.jsonl", encoding: .utf8).split(separator: "\n").count
    }

    func settings(_ tmp: TemporaryFolder, _ names: [String], tasks: [(name: String, weight: Double?)] = [("cell_type_prediction", 1), ("cell_type_generation", 1)],
                  output: String = "corpus") throws -> CorpusSettings {
        var prompts = try PromptDatasetSettings(dataset: "", output: "", tasks: tasks)
        prompts.topK = 10
        prompts.threads = 2
        return try CorpusSettings(sources: names.map { CorpusSource(folder: tmp.file($0), name: $0) }, output: tmp.file(output), prompts: prompts)
    }

    /// The dataset of a corpus cell name (`DATASET/CELL`).
    func dataset(_ cellName: String) -> String { String(cellName[..<cellName.firstIndex(of: "/")!]) }

    func testWholeDatasetsNeverShareASplitAndTheManifestCountsWhatWasWritten() throws {
        let tmp = try TemporaryFolder()
        let sizes = ["d1": 60, "d2": 40, "d3": 20, "d4": 20]
        for (k, name) in sizes.keys.sorted().enumerated() { try makeDataset(tmp.file(name), cells: sizes[name]!, genes: 100 + 10 * k, seed: UInt64(k)) }
        var s = try settings(tmp, sizes.keys.sorted())
        s.splitFractions = try SplitFractions(train: 0.6, validation: 0.2, test: 0.2)
        let r = try CorpusBuilding.run(s)
        let examples = try lines(tmp.file("corpus/prompts.jsonl"))
        let cells = try sizes.keys.sorted().map { try cellCount(tmp.file($0)) }
        XCTAssertEqual(examples.count, cells.reduce(0, +), "weight 1: one example per cell")
        XCTAssertEqual(r.total, examples.count)
        XCTAssertGreaterThanOrEqual(Set(examples.prefix(20).map { dataset($0["cell_name"] as! String) }).count, 3, "the sources are interleaved")

        // No dataset in two splits, in the prompts and in splits.json alike.
        var splitsOfDataset: [String: Set<String>] = [:]
        for e in examples { splitsOfDataset[dataset(e["cell_name"] as! String), default: []].insert(e["split"] as! String) }
        XCTAssertEqual(Set(splitsOfDataset.keys), Set(sizes.keys))
        for (name, splits) in splitsOfDataset { XCTAssertEqual(splits.count, 1, "\(name) is in \(splits.sorted())") }
        let plan = try SplitPlan.read(path: tmp.file("corpus/splits.json"))
        XCTAssertEqual(plan.groupBy, ["dataset"])
        var planSplits: [String: Set<String>] = [:]
        for (cell, split) in plan.assignments { planSplits[dataset(cell), default: []].insert(split) }
        for (name, splits) in planSplits { XCTAssertEqual(splits, splitsOfDataset[name], name) }
        XCTAssertEqual(plan.assignments.count, cells.reduce(0, +))
        XCTAssertEqual(Set(plan.assignments.values).count, 3, "four datasets fill three splits")

        // The manifest says what each source wrote.
        let manifest = try CorpusManifest.read(folder: tmp.file("corpus"))
        XCTAssertEqual(manifest, r.manifest)
        XCTAssertEqual(manifest.sources.map(\.dataset), sizes.keys.sorted())
        for (k, source) in manifest.sources.enumerated() {
            let written = examples.filter { dataset($0["cell_name"] as! String) == source.dataset }
            XCTAssertEqual(source.cells, cells[k])
            XCTAssertEqual(source.weight, 1)
            for split in SplitPlan.splitNames {
                XCTAssertEqual(source.examples[split], written.filter { $0["split"] as! String == split }.count, "\(source.dataset) \(split)")
            }
            XCTAssertEqual(source.cellsBySplit[splitsOfDataset[source.dataset]!.first!], cells[k])
            XCTAssertEqual(source.path, tmp.file(source.dataset))
        }
        XCTAssertEqual(manifest.examples.values.reduce(0, +), examples.count)
    }

    func testDonorGroupsAreMadeWithinEachDatasetAndNeverStraddleSplits() throws {
        let tmp = try TemporaryFolder()
        try makeDataset(tmp.file("a"), cells: 60, genes: 100, seed: 1)
        try makeDataset(tmp.file("b"), cells: 60, genes: 100, seed: 2)
        // Both datasets have batch1 and batch2: as groups (dataset, batch) they are four, and
        // some seed sends one batch id to different splits in the two datasets.
        var independent = false
        for seed in UInt64(0)..<8 {
            var s = try settings(tmp, ["a", "b"], output: "corpus-\(seed)")
            s.groupBy = ["batch"]
            s.prompts.seed = seed
            s.splitFractions = try SplitFractions(train: 0.5, validation: 0.25, test: 0.25)
            _ = try CorpusBuilding.run(s)
            let plan = try SplitPlan.read(path: tmp.file("corpus-\(seed)/splits.json"))
            XCTAssertEqual(plan.groupBy, ["dataset", "batch"])
            var batchOf: [String: String] = [:]
            for name in ["a", "b"] {
                for line in try lines(tmp.file(name + "/cells.jsonl")) {
                    batchOf[name + "/" + (line["cell_name"] as! String)] = name + "|" + (line["batch"] as! String)
                }
            }
            var splitsOfGroup: [String: Set<String>] = [:]
            for e in try lines(tmp.file("corpus-\(seed)/prompts.jsonl")) {
                splitsOfGroup[batchOf[e["cell_name"] as! String]!, default: []].insert(e["split"] as! String)
            }
            for (cell, split) in plan.assignments { splitsOfGroup[batchOf[cell]!, default: []].insert(split) }
            XCTAssertEqual(splitsOfGroup.count, 4)
            for (group, splits) in splitsOfGroup { XCTAssertEqual(splits.count, 1, "seed \(seed): group \(group) leaks into \(splits.sorted())") }
            if splitsOfGroup["a|batch1"] != splitsOfGroup["b|batch1"] || splitsOfGroup["a|batch2"] != splitsOfGroup["b|batch2"] { independent = true }
        }
        XCTAssertTrue(independent, "equal batch ids in two datasets are different groups")
    }

    /// The corpus never holds all its cells (pass 1 counts each source's cells per group and
    /// label; pass 2 writes each source's piece of splits.json): its plan must still be, byte
    /// for byte, the one `SplitPlan.make` gives with every cell in memory — with names whose
    /// sorted order tests the pieces' order ("a-b/…" sorts before "a/…").
    func testTheStreamedSplitsAreThePlanOfAllTheCellsAtOnce() throws {
        let tmp = try TemporaryFolder()
        let names = ["ab", "a", "a-b", "a.c", "b"]
        for (k, name) in names.enumerated() { try makeDataset(tmp.file(name), cells: 15 + 7 * k, genes: 80, seed: UInt64(10 + k)) }
        for (groupBy, stratifyBy) in [([], nil), (["batch"], "cell_type"), ([], "cell_type")] as [([String], String?)] {
            let output = "corpus-\(groupBy.count)-\(stratifyBy ?? "none")"
            var s = try settings(tmp, names, output: output)
            s.groupBy = groupBy
            s.stratifyBy = stratifyBy
            s.splitFractions = try SplitFractions(train: 0.6, validation: 0.2, test: 0.2)
            _ = try CorpusBuilding.run(s)
            var cells: [CellRecord] = []
            for name in names {
                for line in try lines(tmp.file(name + "/cells.jsonl")) {
                    cells.append(CellRecord(name: name + "/" + (line["cell_name"] as! String), sentence: "",
                                            fields: ["dataset": name, "batch": line["batch"] as! String, "cell_type": line["cell_type"] as! String]))
                }
            }
            let plan = try SplitPlan.make(cells: cells, fractions: s.splitFractions, seed: s.prompts.seed, stratifyBy: stratifyBy,
                                          groupBy: ["dataset"] + groupBy)
            try plan.write(to: tmp.file(output + "-in-memory.json"))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tmp.file(output + "/splits.json"))),
                           try Data(contentsOf: URL(fileURLWithPath: tmp.file(output + "-in-memory.json"))), output)
            XCTAssertEqual(try SplitPlan.read(path: tmp.file(output + "/splits.json")).assignments.count, cells.count)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.file(output)).filter { $0.hasPrefix(".") }, [], "no pieces left")
        }
    }

    func testReusedSplitsKeepEveryCellInItsSplit() throws {
        let tmp = try TemporaryFolder()
        for (k, name) in ["a", "b", "c"].enumerated() { try makeDataset(tmp.file(name), cells: 30, genes: 90, seed: UInt64(k)) }
        var s = try settings(tmp, ["a", "b", "c"])
        s.groupBy = ["batch"]
        _ = try CorpusBuilding.run(s)
        let plan = try SplitPlan.read(path: tmp.file("corpus/splits.json"))
        var again = s
        again.output = tmp.file("again")
        again.splits = tmp.file("corpus/splits.json")
        again.prompts.seed = 7
        again.prompts.tasks = [("cell_type_generation", 1)]
        let r = try CorpusBuilding.run(again)
        XCTAssertEqual(try SplitPlan.read(path: tmp.file("again/splits.json")), plan, "the reused plan is the corpus's plan")
        XCTAssertEqual(r.manifest.settings.reusedSplits, tmp.file("corpus/splits.json"))
        for e in try lines(tmp.file("again/prompts.jsonl")) {
            XCTAssertEqual(plan.split(of: e["cell_name"] as! String), e["split"] as? String)
        }
        // A plan made for other cells (here: without source c) is refused, naming the plan.
        var fewer = try settings(tmp, ["a", "b"], output: "fewer")
        _ = try CorpusBuilding.run(fewer)
        fewer.sources.append(CorpusSource(folder: tmp.file("c"), name: "c"))
        fewer.splits = tmp.file("fewer/splits.json")
        fewer.output = tmp.file("more")
        XCTAssertThrowsError(try CorpusBuilding.run(fewer)) { error in
            XCTAssertTrue("\(error)".hasPrefix(tmp.file("fewer/splits.json")) && "\(error)".contains("c/"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("more")))
    }

    func testWeightsSetEachSourcesExamples() throws {
        let tmp = try TemporaryFolder()
        try makeDataset(tmp.file("a"), cells: 30, genes: 100, seed: 1)
        try makeDataset(tmp.file("b"), cells: 20, genes: 100, seed: 2)
        let (ca, cb) = (try cellCount(tmp.file("a")), try cellCount(tmp.file("b")))
        func perSource(_ output: String) throws -> [String: Int] {
            Dictionary(grouping: try lines(tmp.file(output + "/prompts.jsonl")), by: { dataset($0["cell_name"] as! String) }).mapValues(\.count)
        }
        var s = try settings(tmp, ["a", "b"], output: "w")
        s.weights = ["b": 2]
        let r = try CorpusBuilding.run(s)
        XCTAssertEqual(try perSource("w"), ["a": ca, "b": 2 * cb], "weight w: round(w x cells) examples")
        XCTAssertEqual(r.manifest.sources.map(\.weight), [1, 2])
        XCTAssertEqual(r.manifest.sources.map { $0.examples.values.reduce(0, +) }, [ca, 2 * cb])

        s.output = tmp.file("n")
        s.examples = 101
        s.weights = ["a": 0.5]
        _ = try CorpusBuilding.run(s)
        let expected = CorpusExampleAllocation.examples(cells: [ca, cb], weights: [0.5, 1], total: 101)
        XCTAssertEqual(expected.reduce(0, +), 101)
        XCTAssertEqual(try perSource("n"), ["a": expected[0], "b": expected[1]])
        XCTAssertLessThanOrEqual(abs(Double(expected[0]) - 101 * 0.5 * Double(ca) / (0.5 * Double(ca) + Double(cb))), 1)

        // Without task weights every cell gives one example per task: weights cannot apply.
        var plain = try settings(tmp, ["a", "b"], tasks: [("cell_type_prediction", nil)], output: "p")
        plain.weights = ["a": 2]
        XCTAssertThrowsError(try CorpusBuilding.run(plain)) { XCTAssertTrue("\($0)".contains("--task NAME:W"), "\($0)") }
        plain.weights = [:]
        plain.prompts.tasks = [("cell_type_prediction", nil), ("unconditional_generation", nil)]
        _ = try CorpusBuilding.run(plain)
        XCTAssertEqual(try lines(tmp.file("p/prompts.jsonl")).count, 2 * (ca + cb))
    }

    func testExampleAllocationRule() {
        XCTAssertEqual(CorpusExampleAllocation.examples(cells: [30, 20], weights: [1, 2], total: nil), [30, 40])
        XCTAssertEqual(CorpusExampleAllocation.examples(cells: [3, 5], weights: [0.5, 0.1], total: nil), [2, 1], "rounded to nearest, halves up")
        // 100 x 30/70 = 42.86, 100 x 40/70 = 57.14: the larger remainder rounds up.
        XCTAssertEqual(CorpusExampleAllocation.examples(cells: [30, 20], weights: [1, 2], total: 100), [43, 57])
        XCTAssertEqual(CorpusExampleAllocation.examples(cells: [10, 10, 10], weights: [1, 1, 1], total: 10), [4, 3, 3], "ties to the earlier source")
        XCTAssertEqual(try CorpusExampleAllocation.weights(["b=2.5"], sources: ["a", "b"]), ["b": 2.5])
        for bad in ["c=1", "b=0", "b=-1", "b", "b=x"] {
            XCTAssertThrowsError(try CorpusExampleAllocation.weights([bad], sources: ["a", "b"]), bad)
        }
    }

    func testAMissingColumnNamesTheSourceAndLeavesNothing() throws {
        let tmp = try TemporaryFolder()
        try makeDataset(tmp.file("typed"), cells: 20, genes: 80, seed: 1)
        try makeDataset(tmp.file("untyped"), cells: 20, genes: 80, seed: 2, columns: ["batch"])
        let s = try settings(tmp, ["typed", "untyped"])
        XCTAssertThrowsError(try CorpusBuilding.run(s)) { error in
            XCTAssertTrue("\(error)".hasPrefix(tmp.file("untyped") + ": "), "\(error)")
            XCTAssertTrue("\(error)".contains("'cell_type'"), "\(error)")
        }
        var grouped = try settings(tmp, ["typed"])
        grouped.groupBy = ["donor"]
        XCTAssertThrowsError(try CorpusBuilding.run(grouped)) { error in
            XCTAssertTrue("\(error)".contains(tmp.file("typed")) && "\(error)".contains("group-by column 'donor'"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.contains("corpus") }, [], "no output, no temporary")
        // A per-source label column makes the unlabelled source usable (here: its batch).
        var relabelled = s
        relabelled.labelColumns = ["untyped": "batch"]
        let r = try CorpusBuilding.run(relabelled)
        XCTAssertEqual(r.manifest.sources.map(\.labelColumn), ["cell_type", "batch"])
        XCTAssertTrue(try lines(tmp.file("corpus/prompts.jsonl")).contains { ($0["response"] as! String).hasPrefix("batch") })
    }

    func testTheChecksumCoversTheSourcesManifestAndSentenceFiles() throws {
        let tmp = try TemporaryFolder()
        try makeDataset(tmp.file("a"), cells: 20, genes: 80, seed: 1)
        let r = try CorpusBuilding.run(try settings(tmp, ["a"]))
        let source = r.manifest.sources[0]
        XCTAssertEqual(source.checksumFiles, ["manifest.json", "cells.jsonl", "vocab.tsv"])
        // SHA-256 over each file's name (NUL-terminated) and then its bytes, in that order.
        var bytes: [UInt8] = []
        for name in source.checksumFiles {
            bytes += Array(name.utf8) + [0]
            bytes += Array(try Data(contentsOf: URL(fileURLWithPath: tmp.file("a/" + name))))
        }
        XCTAssertEqual(source.sha256, FileChecksum.sha256(bytes: bytes))
        // One changed byte in the sentences changes it.
        var cells = try Data(contentsOf: URL(fileURLWithPath: tmp.file("a/cells.jsonl")))
        cells[cells.count - 3] ^= 1
        try cells.write(to: URL(fileURLWithPath: tmp.file("a/cells.jsonl")))
        XCTAssertNotEqual(try FileChecksum.sha256(files: source.checksumFiles, in: tmp.file("a")), source.sha256)
    }

    func testOverwriteReplacesOnlyAnEarlierCorpus() throws {
        let tmp = try TemporaryFolder()
        try makeDataset(tmp.file("a"), cells: 20, genes: 80, seed: 1)
        var s = try settings(tmp, ["a"])
        _ = try CorpusBuilding.run(s)
        XCTAssertThrowsError(try CorpusBuilding.run(s)) { XCTAssertTrue("\($0)".contains("already exists"), "\($0)") }
        s.overwrite = true
        _ = try CorpusBuilding.run(s)
        XCTAssertTrue(CorpusManifest.isCorpus(folder: tmp.file("corpus")))
        // A folder of the user's, or another command's output (a sentence dataset), stays.
        for other in ["mine", "a"] {
            if other == "mine" {
                try FileManager.default.createDirectory(atPath: tmp.file("mine"), withIntermediateDirectories: false)
                try "keep".write(toFile: tmp.file("mine/notes.txt"), atomically: true, encoding: .utf8)
            }
            s.output = tmp.file(other)
            XCTAssertThrowsError(try CorpusBuilding.run(s), other)
        }
        XCTAssertEqual(try String(contentsOfFile: tmp.file("mine/notes.txt"), encoding: .utf8), "keep")
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.file("a/cells.jsonl")))
    }

    func testVocabularyUnionCountsCellsAndReportsGenesOnlyInSomeDatasets() throws {
        let v = try CorpusVocabulary(names: ["a", "b"], vocabularies: [(["ACTB", "CD3E", "GENE1"], [5, 3, 2]), (["ACTB", "MS4A1"], [4, 1])], keepCase: false)
        XCTAssertEqual(v.genes.map(\.name), ["ACTB", "CD3E", "GENE1", "MS4A1"])
        XCTAssertEqual(v.genes.map(\.cells), [9, 3, 2, 1], "cells added over datasets")
        XCTAssertEqual(v.genes.map(\.sources), [[0, 1], [0], [0], [1]])
        XCTAssertEqual(v.inEverySource, 1)
        XCTAssertEqual(v.coverage().map { [$0.genes, $0.onlyHere, $0.missing] }, [[3, 2, 1], [2, 1, 2]])
        XCTAssertEqual(v.vocabularyTSV(), "gene\tn_cells\nACTB\t9\nCD3E\t3\nGENE1\t2\nMS4A1\t1\n")
        XCTAssertEqual(v.presenceTSV().split(separator: "\n")[1], "ACTB\t9\t2\ta,b")
        XCTAssertEqual(v.caseVariants, [])
    }

    func testSpellingsThatDifferOnlyInCaseFollowConvertsRule() throws {
        // Human-style names: convert would upper-case them into one gene, so it is a clash.
        let human: [(genes: [String], cells: [Int])] = [(["ACTB", "CD3E", "CD19"], [1, 1, 1]), (["Actb", "CD4", "CD8A"], [1, 1, 1])]
        XCTAssertThrowsError(try CorpusVocabulary(names: ["kang", "mouse"], vocabularies: human, keepCase: false)) { error in
            XCTAssertTrue("\(error)".contains("ACTB <- ACTB (kang), Actb (mouse)") && "\(error)".contains("--keep-case"), "\(error)")
        }
        let kept = try CorpusVocabulary(names: ["kang", "mouse"], vocabularies: human, keepCase: true)
        XCTAssertEqual(kept.genes.count, 6)
        XCTAssertTrue(kept.keptCase)
        XCTAssertEqual(kept.caseVariants.map(\.name), ["ACTB"])
        XCTAssertEqual(kept.caseVariants[0].spellings.map { [$0.gene] + $0.datasets }, [["ACTB", "kang"], ["Actb", "mouse"]])
        // Mouse-style names: convert keeps case, so the two spellings stay two genes.
        let mouse = try CorpusVocabulary(names: ["m1", "m2"], vocabularies: [(["Actb", "Cd3e", "Cd19"], [1, 1, 1]), (["ACTB", "Cd4"], [1, 1])], keepCase: false)
        XCTAssertEqual(mouse.genes.count, 5)
        XCTAssertEqual(mouse.caseVariants.count, 1)
    }

    func testSourcesAreNamedAfterTheirFoldersOrExplicitlyAndMustBeUnique() throws {
        let tmp = try TemporaryFolder()
        XCTAssertEqual(try CorpusSource.parse("/data/kang-sentences/"), CorpusSource(folder: "/data/kang-sentences/", name: "kang-sentences"))
        XCTAssertEqual(try CorpusSource.parse("kang=/data/x"), CorpusSource(folder: "/data/x", name: "kang"))
        XCTAssertThrowsError(try CorpusSource.parse("my data=/x"))
        try "# corpus\n\nfirst/sentences\nz=/abs/zheng\n".write(toFile: tmp.file("list.txt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try CorpusSource.list(file: tmp.file("list.txt")),
                       [CorpusSource(folder: tmp.path + "/first/sentences", name: "sentences"), CorpusSource(folder: "/abs/zheng", name: "z")])
        XCTAssertThrowsError(try CorpusSource.checkUnique([CorpusSource(folder: "a/sentences", name: "sentences"),
                                                           CorpusSource(folder: "b/sentences", name: "sentences")])) { error in
            XCTAssertTrue("\(error)".contains("a/sentences and b/sentences"), "\(error)")
        }
    }
}
