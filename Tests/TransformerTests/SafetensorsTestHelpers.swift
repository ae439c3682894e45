import Foundation
import Mechanics
import TestSupport
import XCTest
@testable import Transformer

/// Shared by the Safetensors*Tests files.
enum SafetensorsFixtures {
    static let folder = TestPaths.fixtures.appendingPathComponent("safetensors")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    /// The 32-bit LCG of make_safetensors_fixtures.py.
    static func lcg(seed: UInt32, count: Int) -> [UInt32] {
        var x = seed
        return (0..<count).map { _ in
            x = x &* 1664525 &+ 1013904223
            return x
        }
    }

    /// LCG words as float bit patterns with the all-ones exponent (inf/NaN) flipped to finite.
    static func finiteBits(seed: UInt32, count: Int) -> [UInt32] {
        lcg(seed: seed, count: count).map { ($0 >> 23) & 0xFF == 0xFF ? $0 ^ 0x4000_0000 : $0 }
    }

    static func floats(_ bits: [UInt32]) -> [Float] { bits.map(Float.init(bitPattern:)) }
}

/// A safetensors file assembled by hand: `header` is the JSON text, `data` the data region.
func rawSafetensors(header: String, data: [UInt8]) -> [UInt8] {
    let json = Array(header.utf8)
    var length = UInt64(json.count).littleEndian
    return withUnsafeBytes(of: &length) { Array($0) } + json + data
}

func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The error thrown by `body` as a `CheckpointError`, failing the test if it throws nothing or
/// something else.
func checkpointError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
    do {
        try body()
        XCTFail("expected a CheckpointError, nothing was thrown", file: file, line: line)
    } catch let error as CheckpointError {
        return error
    } catch {
        XCTFail("expected a CheckpointError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Deterministic generator for the fuzz tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
