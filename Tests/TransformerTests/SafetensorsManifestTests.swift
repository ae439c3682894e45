import Foundation
import TestSupport
import XCTest
@testable import Transformer

final class SafetensorsManifestTests: XCTestCase {
    private var checkpointFolder: String { SafetensorsFixtures.path("gpt2-sharded") }

    /// The manifest a GPT-2 of the fixture's size expects (n_embd 8, 2 layers, vocab 40, 16 positions).
    private func gpt2Manifest(layers: Int = 2, embedding: Int = 8) -> WeightManifest {
        var manifest = WeightManifest()
        manifest.expect("transformer.wte.weight", shape: [40, embedding])
        manifest.expect("transformer.wpe.weight", shape: [16, embedding])
        for layer in 0..<layers {
            let p = "transformer.h.\(layer)."
            manifest.expect(p + "ln_1.weight", shape: [embedding])
            manifest.expect(p + "ln_1.bias", shape: [embedding])
            manifest.expect(p + "attn.c_attn.weight", shape: [embedding, 3 * embedding])
            manifest.expect(p + "attn.c_attn.bias", shape: [3 * embedding])
            manifest.expect(p + "attn.c_proj.weight", shape: [embedding, embedding])
            manifest.expect(p + "attn.c_proj.bias", shape: [embedding])
            manifest.expect(p + "ln_2.weight", shape: [embedding])
            manifest.expect(p + "ln_2.bias", shape: [embedding])
            manifest.expect(p + "mlp.c_fc.weight", shape: [embedding, 4 * embedding])
            manifest.expect(p + "mlp.c_fc.bias", shape: [4 * embedding])
            manifest.expect(p + "mlp.c_proj.weight", shape: [4 * embedding, embedding])
            manifest.expect(p + "mlp.c_proj.bias", shape: [embedding])
        }
        manifest.expect("transformer.ln_f.weight", shape: [embedding])
        manifest.expect("transformer.ln_f.bias", shape: [embedding])
        return manifest
    }

    func testMatchingManifestValidates() throws {
        let checkpoint = try Checkpoint(folder: checkpointFolder)
        let manifest = gpt2Manifest()
        XCTAssertEqual(manifest.names.count, 28)
        XCTAssertTrue(manifest.differences(from: checkpoint).isEmpty)
        try checkpoint.validate(manifest)
    }

    /// One error lists every missing, unexpected and misshaped tensor.
    func testEveryDifferenceIsReportedInOneError() throws {
        let checkpoint = try Checkpoint(folder: checkpointFolder)
        var manifest = gpt2Manifest(layers: 1)         // layer 1 unexpected
        manifest.expect("lm_head.weight", shape: [40, 8])   // missing (tied, not saved)
        var wrong = WeightManifest()
        for name in manifest.names {
            wrong.expect(name, shape: name == "transformer.wpe.weight" ? [32, 8] : manifest.shapes[name]!)
        }
        let differences = wrong.differences(from: checkpoint)
        XCTAssertEqual(differences.missing, ["lm_head.weight"])
        XCTAssertEqual(differences.unexpected.count, 12)
        XCTAssertTrue(differences.unexpected.allSatisfy { $0.hasPrefix("transformer.h.1.") })
        XCTAssertEqual(differences.unexpected, differences.unexpected.sorted())
        XCTAssertEqual(differences.misshaped.count, 1)
        XCTAssertEqual(differences.misshaped.first?.name, "transformer.wpe.weight")
        XCTAssertEqual(differences.misshaped.first?.expected, [32, 8])
        XCTAssertEqual(differences.misshaped.first?.found, [16, 8])
        let error = checkpointError { try checkpoint.validate(wrong) }
        let text = error?.description ?? ""
        XCTAssertTrue(text.hasPrefix("\(checkpointFolder): the weights do not match the model:\n1 missing tensor:\n  lm_head.weight\n12 unexpected tensors:\n  transformer.h.1.attn.c_attn.bias\n"), text)
        XCTAssertTrue(text.contains("1 tensor with the wrong shape:\n  transformer.wpe.weight: expected [32, 8], found [16, 8]"), text)
    }

    func testKnownBuffersAreIgnoredOnlyAsWholeNameComponents() throws {
        let folder = try TemporaryFolder()
        let values = [Float](repeating: 0, count: 16)
        var writer = SafetensorsWriter()
        try values.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            for name in ["h.0.attn.c_attn.bias", "h.0.attn.bias", "h.0.attn.masked_bias", "gpt_neox.layers.0.attention.rotary_emb.inv_freq", "x.masked_bias"] {
                try writer.add(name, shape: [4], from: p)
            }
            try writer.write(to: folder.file("m.safetensors"))
        }
        let file = try SafetensorsFile(path: folder.file("m.safetensors"))
        var manifest = WeightManifest()
        manifest.expect("h.0.attn.c_attn.bias", shape: [4])
        try file.validate(manifest)
        // Without the ignore list every buffer is unexpected.
        let strict = manifest.differences(from: file, ignoring: [])
        XCTAssertEqual(strict.unexpected, ["gpt_neox.layers.0.attention.rotary_emb.inv_freq", "h.0.attn.bias", "h.0.attn.masked_bias", "x.masked_bias"])
        // "attn.bias" must not swallow the real weight "c_attn.bias".
        let other = WeightManifest().differences(from: file, ignoring: ["attn.bias"])
        XCTAssertTrue(other.unexpected.contains("h.0.attn.c_attn.bias"))
        XCTAssertFalse(other.unexpected.contains("h.0.attn.bias"))
        XCTAssertTrue(WeightManifest.matches("a.masked_bias", anyOf: [".masked_bias"]))
        XCTAssertFalse(WeightManifest.matches("a.xmasked_bias", anyOf: [".masked_bias"]))
        XCTAssertTrue(WeightManifest.matches("attn.bias", anyOf: ["attn.bias"]))
    }

    func testExpectingANameTwiceWithTheSameShapeIsHarmless() {
        var manifest = WeightManifest()
        manifest.expect("a", shape: [2])
        manifest.expect("a", shape: [2])
        XCTAssertEqual(manifest.names, ["a"])
    }
}
