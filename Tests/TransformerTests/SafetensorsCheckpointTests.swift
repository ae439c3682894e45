import Foundation
import TestSupport
import XCTest
@testable import Transformer

final class SafetensorsCheckpointTests: XCTestCase {
    private var shardedFolder: String { SafetensorsFixtures.path("gpt2-sharded") }

    /// A copy of the sharded GPT-2 fixture in a temporary folder, for tests that damage it.
    private func copyOfShardedFolder() throws -> (TemporaryFolder, String) {
        let folder = try TemporaryFolder()
        let copy = folder.file("gpt2")
        try FileManager.default.copyItem(atPath: shardedFolder, toPath: copy)
        return (folder, copy)
    }

    /// The shards transformers wrote read as one lookup, with torch's values bit for bit.
    func testShardedCheckpointFromTransformers() throws {
        let checkpoint = try Checkpoint(folder: shardedFolder)
        let expected = try SafetensorsFixtures.json("gpt2_expected.json")
        let order = try XCTUnwrap(expected["order"] as? [String])
        XCTAssertEqual(checkpoint.files.count, 4)
        XCTAssertEqual(Set(checkpoint.tensorNames), Set(order))
        XCTAssertEqual(checkpoint.tensorNames.count, order.count)
        XCTAssertEqual(checkpoint.metadata, ["format": "pt"])
        let bits = try XCTUnwrap(expected["bits"] as? [String: [Int]])
        for (name, values) in bits {
            XCTAssertEqual(try checkpoint.floats(name).map { Int($0.bitPattern) }, values, name)
        }
        // Conv1D weights are stored [in, out] = [8, 24]; the transposed copy gives [out, in].
        let name = "transformer.h.0.attn.c_attn.weight"
        XCTAssertEqual(try checkpoint.info(name).shape, [8, 24])
        var transposed = [Float](repeating: 0, count: 192)
        try checkpoint.copyFloatsTransposed(name, into: &transposed, count: 192)
        let stored = try XCTUnwrap(bits[name])
        for o in 0..<24 { for i in 0..<8 { XCTAssertEqual(Int(transposed[o * 8 + i].bitPattern), stored[i * 24 + o]) } }
        XCTAssertEqual((try checkpoint.file(holding: "transformer.ln_f.bias").path as NSString).lastPathComponent, "model-00004-of-00004.safetensors")
        XCTAssertEqual(checkpoint.shapes["transformer.wte.weight"], [40, 8])
        // The tied LM head is not saved by transformers.
        XCTAssertEqual(checkpointError { _ = try checkpoint.info("lm_head.weight") }, .tensorNotFound(path: shardedFolder, tensor: "lm_head.weight"))
    }

    func testSingleFileFolderAndSingleFileWinsOverIndex() throws {
        let (folder, copy) = try copyOfShardedFolder()
        _ = folder
        try FileManager.default.copyItem(atPath: SafetensorsFixtures.path("floats.safetensors"), toPath: copy + "/model.safetensors")
        let checkpoint = try Checkpoint(folder: copy)
        XCTAssertEqual(checkpoint.files.count, 1)
        XCTAssertTrue(checkpoint.contains("f32.matrix"))
        XCTAssertFalse(checkpoint.contains("transformer.wte.weight"))
        let file = try Checkpoint(file: SafetensorsFixtures.path("floats.safetensors"))
        XCTAssertEqual(try file.floats("scalar"), [3.25])
    }

    func testMissingShardFile() throws {
        let (folder, copy) = try copyOfShardedFolder()
        _ = folder
        try FileManager.default.removeItem(atPath: copy + "/model-00003-of-00004.safetensors")
        let error = checkpointError { _ = try Checkpoint(folder: copy) }
        guard case let .invalidIndex(path, problem)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(path, copy + "/model.safetensors.index.json")
        XCTAssertTrue(problem.hasPrefix("shard file model-00003-of-00004.safetensors (holding "), problem)
        XCTAssertTrue(problem.hasSuffix("tensors) is missing from the folder"), problem)
    }

    func testIndexPlacesTensorInAShardThatDoesNotHoldIt() throws {
        let (folder, copy) = try copyOfShardedFolder()
        _ = folder
        let indexPath = copy + "/model.safetensors.index.json"
        var text = try String(contentsOfFile: indexPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"transformer.ln_f.bias\": \"model-00004-of-00004.safetensors\"", with: "\"transformer.ln_f.bias\": \"model-00001-of-00004.safetensors\"")
        try text.write(toFile: indexPath, atomically: true, encoding: .utf8)
        let error = checkpointError { _ = try Checkpoint(folder: copy) }
        XCTAssertEqual(error?.description, "\(indexPath): invalid checkpoint index: the index places tensor \"transformer.ln_f.bias\" in model-00001-of-00004.safetensors, but that shard does not hold it (it is in model-00004-of-00004.safetensors)")
        // A name the index lists but no shard holds.
        text = text.replacingOccurrences(of: "\"weight_map\": {", with: "\"weight_map\": {\n    \"ghost\": \"model-00002-of-00004.safetensors\",")
        try text.write(toFile: indexPath, atomically: true, encoding: .utf8)
        let ghost = checkpointError { _ = try Checkpoint(folder: copy) }
        XCTAssertTrue(ghost?.description.contains("the index places tensor \"ghost\" in model-00002-of-00004.safetensors, but that shard does not hold it") ?? false)
    }

    func testTensorStoredInTwoShards() throws {
        let folder = try TemporaryFolder()
        let values: [Float] = [1, 2]
        try values.withUnsafeBufferPointer { buffer in
            for shard in ["s1.safetensors", "s2.safetensors"] {
                var writer = SafetensorsWriter()
                try writer.add("twice", shape: [2], from: buffer.baseAddress!)
                try writer.add("only." + shard, shape: [1], from: buffer.baseAddress!)
                try writer.write(to: folder.file(shard))
            }
        }
        let index = #"{"metadata": {"total_size": 12}, "weight_map": {"twice": "s1.safetensors", "only.s1.safetensors": "s1.safetensors", "only.s2.safetensors": "s2.safetensors"}}"#
        try index.write(toFile: folder.file("model.safetensors.index.json"), atomically: true, encoding: .utf8)
        let error = checkpointError { _ = try Checkpoint(folder: folder.path) }
        XCTAssertEqual(error?.description, "\(folder.path): invalid checkpoint index: tensor \"twice\" is stored in two shards, s1.safetensors and s2.safetensors")
    }

    func testMalformedIndexes() throws {
        let folder = try TemporaryFolder()
        let cases: [(String, String)] = [
            ("[1, 2]", "the file must hold a JSON object"),
            ("{\"metadata\": {}}", "missing or malformed \"weight_map\""),
            ("{\"weight_map\": {\"a\": 3}}", "weight_map entry \"a\" must be a shard file name"),
            ("{\"weight_map\": {\"a\": \"../model.safetensors\"}}", "is not a file name in the checkpoint folder"),
            ("{\"weight_map\": {}}", "weight_map is empty"),
            ("{\"weight_map\": ", "not valid JSON"),
        ]
        for (text, message) in cases {
            try text.write(toFile: folder.file("model.safetensors.index.json"), atomically: true, encoding: .utf8)
            let error = checkpointError { _ = try Checkpoint(folder: folder.path) }
            XCTAssertTrue(error?.description.contains(message) ?? false, "\(text): \(String(describing: error))")
        }
    }

    func testFoldersWithoutSafetensorsWeights() throws {
        let folder = try TemporaryFolder()
        let empty = checkpointError { _ = try Checkpoint(folder: folder.path) }
        XCTAssertEqual(empty?.description, "\(folder.path): no model weights found: expected model.safetensors or model.safetensors.index.json (a Hugging Face model folder)")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder.file("pytorch_model.bin")))
        let pickle = checkpointError { _ = try Checkpoint(folder: folder.path) }
        let text = pickle?.description ?? ""
        XCTAssertTrue(text.contains("it holds pytorch_model.bin (PyTorch pickle weights); only safetensors weights are supported"), text)
        XCTAssertTrue(text.contains("python -c \"from transformers import AutoModelForCausalLM as M; D='\(folder.path)'; M.from_pretrained(D).save_pretrained(D, safe_serialization=True)\""), text)
        try FileManager.default.removeItem(atPath: folder.file("pytorch_model.bin"))
        try FileManager.default.copyItem(atPath: SafetensorsFixtures.path("floats.safetensors"), toPath: folder.file("adapter_model.safetensors"))
        let other = checkpointError { _ = try Checkpoint(folder: folder.path) }
        XCTAssertTrue(other?.description.contains("the folder has only adapter_model.safetensors") ?? false)
        let missing = checkpointError { _ = try Checkpoint(folder: folder.file("nope")) }
        XCTAssertEqual(missing?.description, "\(folder.file("nope")): no model weights found: the folder does not exist")
    }
}
