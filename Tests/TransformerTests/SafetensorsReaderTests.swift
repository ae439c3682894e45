import Foundation
import TestSupport
import XCTest
@testable import Transformer

final class SafetensorsReaderTests: XCTestCase {
    private let torchToSafetensors = ["float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64", "int64": "I64", "bool": "BOOL"]

    /// Every tensor of the fixture has the dtype and shape torch saved, and converts to exactly
    /// the float32 bits of torch's `.float()` (NaN payloads, -0, subnormals and inf included).
    func testFixtureValuesMatchTorchConversionBitForBit() throws {
        let file = try SafetensorsFile(path: SafetensorsFixtures.path("floats.safetensors"))
        let expected = try SafetensorsFixtures.json("floats_expected.json")
        XCTAssertEqual(file.metadata, ["format": "pt", "source": "make_safetensors_fixtures.py"])
        XCTAssertEqual(Set(file.tensorNames), Set(expected.keys))
        for (name, value) in expected {
            let entry = try XCTUnwrap(value as? [String: Any])
            let info = try file.info(name)
            XCTAssertEqual(info.dtype.rawValue, torchToSafetensors[entry["dtype"] as! String], name)
            XCTAssertEqual(info.shape, entry["shape"] as! [Int], name)
            guard let bits = entry["bits"] as? [Int] else {
                XCTAssertFalse(info.dtype.isLoadableAsFloat, name)
                continue
            }
            let got = try file.floats(name).map { Int($0.bitPattern) }
            XCTAssertEqual(got, bits, name)
        }
        // The awkward values are really there (guards against a fixture regenerated without them).
        let half = try file.floats("f16.special")
        XCTAssertTrue(half.contains { $0.isSubnormal == false && $0 != 0 && abs($0) < 6.2e-5 && abs($0) > 5.9e-8 })
        XCTAssertTrue(half.contains(5.960464477539063e-08))
        XCTAssertTrue(half.contains(.infinity) && half.contains(-.infinity) && half.contains { $0.isNaN })
        XCTAssertTrue(half.contains { $0 == 0 && $0.sign == .minus })
        let brain = try file.floats("bf16.special")
        XCTAssertTrue(brain.contains { $0.isSubnormal } && brain.contains { $0.isNaN })
    }

    func testScalarEmptyAndInfo() throws {
        let file = try SafetensorsFile(path: SafetensorsFixtures.path("floats.safetensors"))
        let scalar = try file.info("scalar")
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.elementCount, 1)
        XCTAssertEqual(scalar.byteCount, 4)
        XCTAssertEqual(try file.floats("scalar"), [3.25])
        let empty = try file.info("empty")
        XCTAssertEqual(empty.shape, [0])
        XCTAssertEqual(empty.elementCount, 0)
        XCTAssertEqual(try file.floats("empty"), [])
        var nothing: Float = 7
        try file.copyFloats("empty", into: &nothing, count: 0)
        XCTAssertEqual(nothing, 7)
        XCTAssertEqual(try file.info("f32.matrix").byteCount, 60)
        XCTAssertEqual(try file.info("bf16.matrix").byteCount, 48)
        // Tensors are listed in data order and tile the data region.
        var end = 0
        for info in file.tensors {
            XCTAssertEqual(info.dataOffsets.lowerBound, end)
            end = info.dataOffsets.upperBound
        }
        XCTAssertEqual(file.dataRegionStart + end, file.fileSize)
        XCTAssertEqual(file.dataRegionStart % 8, 0)
    }

    func testErrorsNameTheFileTheTensorAndTheProblem() throws {
        let path = SafetensorsFixtures.path("floats.safetensors")
        let file = try SafetensorsFile(path: path)
        let notFloat = checkpointError { _ = try file.floats("i64.ids") }
        XCTAssertEqual(notFloat, .notFloat(path: path, tensor: "i64.ids", dtype: "I64"))
        XCTAssertEqual(notFloat?.description, "\(path): tensor \"i64.ids\" has dtype I64; only F32, F16, BF16 (and F64) can be loaded as floats")
        XCTAssertEqual(checkpointError { _ = try file.floats("bool.mask") }, .notFloat(path: path, tensor: "bool.mask", dtype: "BOOL"))
        XCTAssertEqual(checkpointError { _ = try file.info("nope") }, .tensorNotFound(path: path, tensor: "nope"))
        XCTAssertFalse(file.contains("nope"))
        XCTAssertTrue(file.contains("scalar"))
        var buffer = [Float](repeating: 0, count: 16)
        let wrong = checkpointError { try file.copyFloats("f32.matrix", into: &buffer, count: 16) }
        XCTAssertEqual(wrong?.description, "\(path): tensor \"f32.matrix\": has 15 elements (shape [3, 5]), but the destination holds 16")
        let notMatrix = checkpointError { try file.copyFloatsTransposed("f64.vector", into: &buffer, count: 4) }
        XCTAssertTrue(notMatrix?.description.contains("only a matrix (2 dimensions) can be transposed") ?? false)
        let missing = checkpointError { _ = try SafetensorsFile(path: "/nonexistent/x.safetensors") }
        XCTAssertEqual(missing?.description.hasPrefix("/nonexistent/x.safetensors: cannot open: "), true)
        let folder = checkpointError { _ = try SafetensorsFile(path: SafetensorsFixtures.folder.path) }
        XCTAssertTrue(folder?.description.contains("not a regular file") ?? false)
    }

    /// The transposed copy equals the plain copy transposed, for every float dtype, for a
    /// matrix spanning several 32×32 tiles with ragged edges.
    func testTransposedCopyMatchesPlainCopyTransposed() throws {
        let file = try SafetensorsFile(path: SafetensorsFixtures.path("floats.safetensors"))
        for name in ["f32.wide", "bf16.matrix", "f16.matrix", "f32.matrix"] {
            let info = try file.info(name)
            let (rows, columns) = (info.shape[0], info.shape[1])
            let plain = try file.floats(name)
            var transposed = [Float](repeating: .nan, count: plain.count)
            try file.copyFloatsTransposed(name, into: &transposed, count: plain.count)
            for r in 0..<rows {
                for c in 0..<columns {
                    XCTAssertEqual(transposed[c * rows + r].bitPattern, plain[r * columns + c].bitPattern, "\(name)[\(r), \(c)]")
                }
            }
        }
    }

    /// A header whose length is not a multiple of 8 leaves the data unaligned; such files are
    /// valid (the Python library reads them) and must convert correctly.
    func testUnalignedDataRegion() throws {
        let folder = try TemporaryFolder()
        let values: [Float] = [1.5, -2, Float(bitPattern: 0x0001_1170), .infinity]
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[16,20]}}"
        XCTAssertNotEqual(header.utf8.count % 4, 0)
        let data: [UInt8] = values.flatMap { v -> [UInt8] in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } } + [0x80, 0x3F, 0x00, 0xC0]
        try write(rawSafetensors(header: header, data: data), to: folder.file("u.safetensors"))
        let file = try SafetensorsFile(path: folder.file("u.safetensors"))
        XCTAssertEqual(try file.floats("a").map(\.bitPattern), values.map(\.bitPattern))
        XCTAssertEqual(try file.floats("b"), [1, -2])
    }
}
