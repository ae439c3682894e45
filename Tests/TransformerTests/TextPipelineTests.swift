import XCTest
import TestSupport
@testable import Transformer

/// Text in, text out, against transformers end to end: the fixture's tokenizer encodes the
/// prompt, the model continues it greedily, the tokenizer decodes the continuation.
final class TextPipelineTests: XCTestCase {
    func testTextToGreedyCompletionMatchesTransformers() throws {
        for name in ["pythia_text", "gemma_text"] {
            let folder = TestPaths.fixtures.appendingPathComponent("lm/\(name)")
            let json = try XCTUnwrap(try loadGzipJSON("lm/\(name)/expected.json.gz") as? [String: Any])
            let cases = try XCTUnwrap(json["cases"] as? [[String: Any]])
            let tokenizer = try Tokenizer.load(folder: folder)
            let model = try ModelLoader.load(folder: folder)
            let prompts = cases.map { tokenizer.encode($0["text"] as! String) }
            for (ids, c) in zip(prompts, cases) { XCTAssertEqual(ids.map(Int.init), c["ids"] as? [Int], "\(name) ids") }
            let out = try Generator(model: model).generate(prompts: prompts, options: GenerationOptions(maxNewTokens: 10, minNewTokens: 10))
            let means = try Embedder(model: model).embed(prompts, pooling: .mean)
            for (k, c) in cases.enumerated() {
                XCTAssertEqual(out[k].tokens.map(Int.init), c["greedy"] as? [Int], "\(name) greedy")
                XCTAssertEqual(tokenizer.decode(out[k].tokens, skipSpecialTokens: true), c["completion"] as? String, "\(name) completion")
                let expected = (c["mean_embedding"] as! [Double]).map { Float($0) }
                let worst = zip(means[k], expected).map { abs($0 - $1) }.max() ?? 1
                XCTAssertLessThanOrEqual(worst, 1e-4, "\(name) embedding")
            }
        }
    }
}
