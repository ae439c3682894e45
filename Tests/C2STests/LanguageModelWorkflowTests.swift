import C2S
import Foundation
import TestSupport
import Transformer
import XCTest

/// The `lm` workflows on the tiny pythia_text model: what they write, the counts they return
/// and the events they report.
final class LanguageModelWorkflowTests: XCTestCase {
    let folder = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testGenerationWritesOneLinePerPromptAndReportsBatches() throws {
        let tmp = try TemporaryFolder()
        let model = try ModelLoader.load(folder: URL(fileURLWithPath: folder))
        var s = LanguageModelGenerationSettings(prompts: .texts(["The cell", "A", "B"]), options: GenerationOptions(maxNewTokens: 3))
        s.batchSize = 2
        s.output = tmp.file("out.jsonl")
        var events: [String] = []
        let r = try LanguageModelGeneration.run(model: model, folder: LanguageModelFolder(model: folder), settings: s) { event in
            switch event {
            case .started(let prompts): events.append("started \(prompts)")
            case .progress(let done, let total): events.append("\(done)/\(total)")
            }
        }
        XCTAssertEqual(events, ["started 3", "2/3", "3/3"])
        let written = try lines(tmp.file("out.jsonl"))
        XCTAssertEqual(written.map { $0["index"] as? Int }, [0, 1, 2])
        XCTAssertTrue(written.allSatisfy { $0["completion"] is String && $0["finish_reason"] is String })
        XCTAssertEqual(r.prompts, 3)
        XCTAssertEqual(r.newTokens, written.map { ($0["tokens"] as? [Int])?.count ?? -1 }.reduce(0, +))
    }

    func testEmbeddingAndTokenizationAgreeWithTheEngine() throws {
        let tmp = try TemporaryFolder()
        try "The cell\nCD3D CD3E\n".write(toFile: tmp.file("p.txt"), atomically: true, encoding: .utf8)
        var t = TextTokenizationSettings(input: tmp.file("p.txt"), tokenizer: folder)
        t.output = tmp.file("ids.jsonl")
        XCTAssertEqual(try TextTokenization.run(settings: t), 2)
        let tokenizer = try Tokenizer.load(folder: URL(fileURLWithPath: folder))
        let ids = tokenizer.encodeBatch(["The cell", "CD3D CD3E"])
        XCTAssertEqual(try String(contentsOfFile: tmp.file("ids.jsonl"), encoding: .utf8),
                       ids.map { "[" + $0.map(String.init).joined(separator: ",") + "]\n" }.joined())
        XCTAssertEqual(try TokenizerBenchmark.measure(t).tokens, ids.map(\.count).reduce(0, +))

        let model = try ModelLoader.load(folder: URL(fileURLWithPath: folder))
        var e = LanguageModelEmbeddingSettings(prompts: .tokenIDs(tmp.file("ids.jsonl")))
        e.output = tmp.file("emb.jsonl")
        let r = try LanguageModelEmbedding.run(model: model, folder: LanguageModelFolder(model: folder), settings: e)
        XCTAssertEqual(r.sequences, 2)
        let written = try lines(tmp.file("emb.jsonl"))
        XCTAssertEqual(written.map { ($0["embedding"] as? [Double])?.count }, [r.dimensions, r.dimensions])
        // The output never replaces the prompts it read.
        e.output = tmp.file("ids.jsonl")
        e.overwrite = true
        XCTAssertThrowsError(try LanguageModelEmbedding.run(model: model, folder: LanguageModelFolder(model: folder), settings: e))
    }
}
