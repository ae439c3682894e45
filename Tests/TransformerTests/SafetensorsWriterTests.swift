import Foundation
import Mechanics
import TestSupport
import XCTest
@testable import Transformer

final class SafetensorsWriterTests: XCTestCase {
    /// The tensors of writer_reference.safetensors, rebuilt from the same LCG as the script.
    private struct ReferenceTensors {
        let bWeight = SafetensorsFixtures.floats(SafetensorsFixtures.lcg(seed: 1, count: 6))
        let aBias = SafetensorsFixtures.floats(SafetensorsFixtures.finiteBits(seed: 2, count: 3))
        /// Memory layout [out = 4, in = 3]; the file stores [in = 3, out = 4].
        let conv = SafetensorsFixtures.floats(SafetensorsFixtures.finiteBits(seed: 3, count: 12))
        let zBF16 = SafetensorsFixtures.floats(SafetensorsFixtures.finiteBits(seed: 4, count: 24)
            + [0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x7F7F_FFFF, 0x0001_2345, 0x8000_0000, 0x7F80_0000, 0xFF80_0000])
        let yBF16 = SafetensorsFixtures.floats(SafetensorsFixtures.finiteBits(seed: 5, count: 5))
        let scalar = SafetensorsFixtures.floats(SafetensorsFixtures.finiteBits(seed: 6, count: 1))
        let oddName = SafetensorsFixtures.floats(SafetensorsFixtures.finiteBits(seed: 8, count: 2))
        let empty: [Float] = [0]
        static let oddName = "quote\"back\\slash\ttab.\u{e9}"

        /// Queues the tensors in an order unlike the file's, which the writer must sort.
        func write(to path: String) throws {
            var writer = SafetensorsWriter()
            try zBF16.withUnsafeBufferPointer { try writer.add("z.bf16", shape: [4, 8], from: $0.baseAddress!, as: .bf16) }
            try bWeight.withUnsafeBufferPointer { try writer.add("b.weight", shape: [2, 3], from: $0.baseAddress!) }
            try scalar.withUnsafeBufferPointer { try writer.add("s.scalar", shape: [], from: $0.baseAddress!) }
            try conv.withUnsafeBufferPointer { try writer.addTransposed("c.conv", shape: [3, 4], from: $0.baseAddress!) }
            try yBF16.withUnsafeBufferPointer { try writer.add("y.bf16", shape: [5], from: $0.baseAddress!, as: .bf16) }
            try empty.withUnsafeBufferPointer { try writer.add("e.empty", shape: [0], from: $0.baseAddress!) }
            try oddName.withUnsafeBufferPointer { try writer.add(Self.oddName, shape: [2], from: $0.baseAddress!) }
            try aBias.withUnsafeBufferPointer { try writer.add("a.bias", shape: [3], from: $0.baseAddress!) }
            // The arrays are `let`s of this struct, alive until `write` returns.
            try writer.write(to: path)
        }
    }

    /// Our writer produces byte for byte the file safetensors.torch.save_file wrote for the same
    /// tensors: same header JSON (order, escaping, padding), same data order, same BF16 rounding.
    func testWriterMatchesThePythonLibraryByteForByte() throws {
        let folder = try TemporaryFolder()
        try ReferenceTensors().write(to: folder.file("ours.safetensors"))
        let ours = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("ours.safetensors"))))
        let theirs = try SafetensorsFixtures.bytes("writer_reference.safetensors")
        XCTAssertEqual(ours.count, theirs.count)
        if ours != theirs {
            let first = zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, theirs.count)
            XCTFail("files differ from byte \(first): ours \(String(decoding: ours.prefix(600), as: UTF8.self))")
        }
        try dumpForPythonIfAsked(folder.file("ours.safetensors"), as: "writer_ours.safetensors")
    }

    func testRoundTripThroughOurReader() throws {
        let folder = try TemporaryFolder()
        let reference = ReferenceTensors()
        try reference.write(to: folder.file("t.safetensors"))
        let file = try SafetensorsFile(path: folder.file("t.safetensors"))
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(try file.floats("b.weight").map(\.bitPattern), reference.bWeight.map(\.bitPattern))
        XCTAssertEqual(try file.floats(ReferenceTensors.oddName), reference.oddName)
        XCTAssertEqual(try file.info("s.scalar").shape, [])
        XCTAssertEqual(try file.info("e.empty").shape, [0])
        XCTAssertEqual(try file.info("c.conv").shape, [3, 4])
        var back = [Float](repeating: 0, count: 12)
        try file.copyFloatsTransposed("c.conv", into: &back, count: 12)
        XCTAssertEqual(back, reference.conv)
        XCTAssertEqual(try file.info("z.bf16").dtype, .bf16)
        let widened = try file.floats("y.bf16")
        for (w, x) in zip(widened, reference.yBF16) { XCTAssertEqual(w, x, accuracy: abs(x) / 256) }
    }

    /// A GPT-2 that transformers saved in 4 shards, read by us and written again with the same
    /// shard limit, gives the same files byte for byte: shard assignment, file names and index.
    func testShardedCheckpointMatchesTransformersByteForByte() throws {
        let source = SafetensorsFixtures.path("gpt2-sharded")
        let checkpoint = try Checkpoint(folder: source)
        let expected = try SafetensorsFixtures.json("gpt2_expected.json")
        let order = try XCTUnwrap(expected["order"] as? [String])
        let maxShardSize = try XCTUnwrap(expected["max_shard_size"] as? Int)
        let arrays = try order.map { try checkpoint.floats($0) }
        let pointers = arrays.map { array -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(array.count, 1))
            p.initialize(from: array, count: array.count)
            return p
        }
        defer { pointers.forEach { $0.deallocate() } }
        var writer = SafetensorsWriter()
        for (name, pointer) in zip(order, pointers) {
            try writer.add(name, shape: checkpoint.info(name).shape, from: pointer)
        }
        let folder = try TemporaryFolder()
        let written = try writer.writeCheckpoint(folder: folder.path, maxShardSize: maxShardSize)
        XCTAssertEqual(written, (1...4).map { "model-0000\($0)-of-00004.safetensors" } + ["model.safetensors.index.json"])
        for name in written {
            let ours = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file(name))))
            let theirs = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source + "/" + name)))
            XCTAssertTrue(ours == theirs, "\(name) differs from the file transformers wrote")
        }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)), Set(written), "no temporary files left")
        try dumpForPythonIfAsked(folder.path, as: "writer_sharded")
    }

    func testSingleFileCheckpointAndStaleWeightsRemoved() throws {
        let folder = try TemporaryFolder()
        // Leftovers of an earlier sharded save, plus a file that is not ours to remove.
        for stale in ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json", "model-1-of-2.safetensors"] {
            try Data([1]).write(to: URL(fileURLWithPath: folder.file(stale)))
        }
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        var writer = SafetensorsWriter()
        try values.withUnsafeBufferPointer { try writer.add("w", shape: [2, 3], from: $0.baseAddress!, as: .bf16) }
        let written = try values.withUnsafeBufferPointer { _ in try writer.writeCheckpoint(folder: folder.path) }
        XCTAssertEqual(written, ["model.safetensors"])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)), ["model.safetensors", "tokenizer.json", "model-1-of-2.safetensors"])
        let checkpoint = try Checkpoint(folder: folder.path)
        XCTAssertEqual(try checkpoint.floats("w"), values)
        XCTAssertEqual(try checkpoint.info("w").dtype, .bf16)

        // Saving sharded over it removes the single file, which would otherwise shadow the index.
        var sharded = SafetensorsWriter()
        try values.withUnsafeBufferPointer {
            try sharded.add("a", shape: [6], from: $0.baseAddress!)
            try sharded.add("b", shape: [3], from: $0.baseAddress!)
        }
        let shards = try values.withUnsafeBufferPointer { _ in try sharded.writeCheckpoint(folder: folder.path, maxShardSize: 24) }
        XCTAssertEqual(shards, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("model.safetensors")))
        let reread = try Checkpoint(folder: folder.path)
        XCTAssertEqual(try reread.floats("b"), [1, 2, 3])
        let index = try String(contentsOfFile: folder.file("model.safetensors.index.json"), encoding: .utf8)
        XCTAssertEqual(index, """
        {
          "metadata": {
            "total_parameters": 9,
            "total_size": 36
          },
          "weight_map": {
            "a": "model-00001-of-00002.safetensors",
            "b": "model-00002-of-00002.safetensors"
          }
        }

        """)
    }

    /// huggingface_hub's rule: a tensor above the limit gets its own shard (placed before the shard
    /// being filled, as `split_torch_state_dict_into_shards` does: checked with huggingface_hub
    /// 2.4.0 on these sizes); otherwise a shard is closed when the next tensor would take it
    /// over the limit.
    func testShardPlanning() throws {
        let values = [Float](repeating: 1, count: 100)
        var writer = SafetensorsWriter()
        try values.withUnsafeBufferPointer { buffer in
            for (name, count) in [("a", 10), ("b", 10), ("big", 100), ("c", 5), ("d", 20), ("e", 1)] {
                try writer.add(name, shape: [count], from: buffer.baseAddress!)
            }
        }
        let plan = SafetensorsWriter.planShards(writer.tensors, maxShardSize: 80)
        XCTAssertEqual(plan.map { $0.map(\.name) }, [["big"], ["a", "b"], ["c"], ["d"], ["e"]])
        XCTAssertEqual(SafetensorsWriter.planShards(writer.tensors, maxShardSize: 10_000).count, 1)
    }

    func testHeaderIsPaddedToEightBytesAndDataAligned() throws {
        let folder = try TemporaryFolder()
        let values: [Float] = [1, 2]
        for length in 1...12 {
            var writer = SafetensorsWriter(metadata: nil)
            try values.withUnsafeBufferPointer { try writer.add(String(repeating: "n", count: length), shape: [2], from: $0.baseAddress!) }
            try writer.write(to: folder.file("p.safetensors"))
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("p.safetensors"))))
            let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
            XCTAssertEqual(headerLength % 8, 0)
            XCTAssertEqual(bytes[8 + headerLength - 1] == UInt8(ascii: " ") || bytes[8 + headerLength - 1] == UInt8(ascii: "}"), true)
            XCTAssertEqual(try SafetensorsFile(path: folder.file("p.safetensors")).metadata, [:])
        }
        // The empty file of the Rust test suite: `{}` padded with six spaces.
        try SafetensorsWriter(metadata: nil).write(to: folder.file("empty.safetensors"))
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("empty.safetensors")))), [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
    }

    func testWriterRejectsBadInputAndLeavesNoFileOnFailure() throws {
        let values: [Float] = [1]
        var writer = SafetensorsWriter()
        try values.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            try writer.add("x", shape: [1], from: p)
            XCTAssertEqual(checkpointError { try writer.add("x", shape: [1], from: p) }, .invalidTensorToWrite(tensor: "x", problem: "added twice"))
            XCTAssertEqual(checkpointError { try writer.add("h", shape: [1], from: p, as: .f16) }?.description, "cannot write tensor \"h\": only F32 and BF16 can be written, not F16")
            XCTAssertNotNil(checkpointError { try writer.add("__metadata__", shape: [1], from: p) })
            XCTAssertNotNil(checkpointError { try writer.add("neg", shape: [-1], from: p) })
            XCTAssertNotNil(checkpointError { try writer.addTransposed("v", shape: [1], from: p) })
        }
        let folder = try TemporaryFolder()
        try Data([1]).write(to: URL(fileURLWithPath: folder.file("plain-file")))
        let error = values.withUnsafeBufferPointer { _ in checkpointError { try writer.write(to: folder.file("plain-file/x.safetensors")) } }
        guard case .io? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["plain-file"])
    }

    func testJSONStringDialects() {
        XCTAssertEqual(JSONText.serdeString("a\"b\\c\u{1}\u{8}\n\u{7f}é😀"), "\"a\\\"b\\\\c\\u0001\\b\\n\u{7f}é😀\"")
        XCTAssertEqual(JSONText.pythonString("a\"b\\c\u{1}\u{8}\n\u{7f}é😀"), "\"a\\\"b\\\\c\\u0001\\b\\n\\u007f\\u00e9\\ud83d\\ude00\"")
        XCTAssertTrue(JSONText.codePointOrder("Z", "a"))
        XCTAssertTrue(JSONText.codePointOrder("e\u{301}", "é"))  // Swift's `<` says the opposite
    }

    /// During development, `C2S_SAFETENSORS_DUMP=/some/folder` keeps what the writer produced so
    /// that the Python libraries can be run on it (see scripts/interop/check_safetensors.py).
    private func dumpForPythonIfAsked(_ path: String, as name: String) throws {
        guard let dump = ProcessInfo.processInfo.environment["C2S_SAFETENSORS_DUMP"] else { return }
        try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
        let target = dump + "/" + name
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: path, toPath: target)
    }
}
