import C2S
import CellSentences
import Prompts
import SingleCell
import TestSupport
import XCTest

/// Chunked runs: finished chunks are reused on resume, settings must match, and an input
/// converted on the fly gives the sentences the training conversion gave.
final class ChunkStoreTests: XCTestCase {
    func testResumeReusesFinishedChunksOnly() throws {
        let tmp = try TemporaryFolder()
        let output = tmp.file("out.h5ad")
        let settings = ["a": "1"]
        var computed: [Int] = []
        func body(_ r: Range<Int>) -> [String] { computed.append(r.lowerBound); return r.map { "{\"i\":\($0)}" } }

        var run = ChunkedRun(store: try ChunkStore(output: output, settings: settings, resume: false, overwrite: false), count: 10, chunkSize: 3)
        run.interruptAfter = 2
        XCTAssertThrowsError(try run.run(body))
        XCTAssertEqual(computed, [0, 3])

        // Without --resume the leftovers are an error; other settings are an error naming them.
        XCTAssertThrowsError(try ChunkStore(output: output, settings: settings, resume: false, overwrite: false)) { e in
            XCTAssertTrue("\(e)".contains("--resume") && "\(e)".contains("2 finished chunk"), "\(e)")
        }
        XCTAssertThrowsError(try ChunkStore(output: output, settings: ["a": "2"], resume: true, overwrite: false)) { e in
            XCTAssertTrue("\(e)".contains("a: 1 then, 2 now"), "\(e)")
        }

        let store = try ChunkStore(output: output, settings: settings, resume: true, overwrite: false)
        XCTAssertEqual(store.resumedChunks, 2)
        computed = []
        let done = try ChunkedRun(store: store, count: 10, chunkSize: 3).run(body)
        XCTAssertEqual(done.computed, 2)
        XCTAssertEqual(done.reused, 2)
        XCTAssertEqual(computed, [6, 9])
        var all: [Substring] = []
        try ChunkedRun(store: store, count: 10, chunkSize: 3).forEachChunk { all += $0 }
        XCTAssertEqual(all.map(String.init), (0..<10).map { "{\"i\":\($0)}" })
        store.remove()
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.folder))
    }

    func testFailureBeforeAnyChunkLeavesNothing() throws {
        let tmp = try TemporaryFolder()
        let store = try ChunkStore(output: tmp.file("out.h5ad"), settings: [:], resume: false, overwrite: false)
        XCTAssertThrowsError(try store.cleaningUp { throw DataError("bad input") })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [])
        try "x".write(toFile: tmp.file("exists.h5ad"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ChunkStore(output: tmp.file("exists.h5ad"), settings: [:], resume: false, overwrite: false)) { e in
            XCTAssertTrue("\(e)".contains("--overwrite"), "\(e)")
        }
    }

    func testCountMatrixIsConvertedWithTheTrainingSettings() throws {
        let f = try C2SFixture.get()
        let model = try C2SModel(folder: f.bpeModel)
        let work = try TemporaryFolder()
        let input = try CellInput.open(f.counts, model: model, maxGenes: 1000, workFolder: work.path)
        XCTAssertNotNil(input.convertedTo)
        let training = try CellTable.load(f.sentences, maxGenes: 1000)
        XCTAssertEqual(input.table.cells.count, training.cells.count)
        for (a, b) in zip(input.table.cells, training.cells) {
            XCTAssertEqual(a.name, b.name)
            XCTAssertEqual(a.sentence, b.sentence)
            XCTAssertEqual(a.fields["cell_type"], b.fields["cell_type"])
        }
        // A sentence dataset is read as it is, with its vocabulary.
        let direct = try CellInput.open(f.sentences, model: model, maxGenes: 5, workFolder: work.path)
        XCTAssertNil(direct.convertedTo)
        XCTAssertEqual(direct.genes, try SentenceDataset(folder: f.sentences).genes)
        XCTAssertTrue(direct.table.cells.allSatisfy { $0.geneCount <= 5 })
        // Selection by split and column value.
        var s = CellSelection()
        s.conditions = [try CellSelection.condition("cell_type=\(f.labels[0])")]
        let kept = try s.apply(to: direct.table)
        XCTAssertTrue(kept.allSatisfy { direct.table.cells[$0].fields["cell_type"] == f.labels[0] } && !kept.isEmpty)
        s.conditions = [("cell_type", "no such type")]
        XCTAssertThrowsError(try s.apply(to: direct.table))
        s.conditions = [("no_column", "x")]
        XCTAssertThrowsError(try s.apply(to: direct.table)) { e in XCTAssertTrue("\(e)".contains("cell_type"), "\(e)") }
        // Without the training manifest a count matrix cannot be converted.
        let bare = try C2SModel(folder: TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path)
        XCTAssertThrowsError(try CellInput.open(f.counts, model: bare, maxGenes: 10, workFolder: work.path)) { e in
            XCTAssertTrue("\(e)".contains("--sentences"), "\(e)")
        }
    }
}
