import CellSentences
import Foundation
import Mechanics
import SingleCell

/// One JSON object per line, for the chunks of a run: built field by field, read back with
/// Foundation's parser.
public struct ResultLine {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var empty = true

    public init() {}

    private mutating func key(_ name: String) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        JSONText.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func add(_ name: String, _ value: String) {
        key(name)
        JSONText.appendString(value, to: &bytes)
    }

    public mutating func add(_ name: String, _ value: Int) {
        key(name)
        bytes += Array(String(value).utf8)
    }

    /// A number; NaN and infinities become null.
    public mutating func add(_ name: String, _ value: Double) {
        key(name)
        bytes += Array((value.isFinite ? JSONText.number(value) : "null").utf8)
    }

    public mutating func add(_ name: String, _ values: [Double]) {
        key(name)
        bytes += Array(("[" + values.map { $0.isFinite ? JSONText.number($0) : "null" }.joined(separator: ",") + "]").utf8)
    }

    public mutating func add(_ name: String, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.appendString(v, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Float32 values exactly, as base64 of their little-endian bytes (compact, lossless).
    public mutating func add(_ name: String, floats: [Float]) {
        let data = floats.withUnsafeBufferPointer { Data(buffer: $0) }
        add(name, data.base64EncodedString())
    }

    public var text: String { String(decoding: bytes + [UInt8(ascii: "}")], as: UTF8.self) }

    /// Parses a line written by `ResultLine`.
    public static func parse(_ line: Substring, file: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw FileError(file, "a chunk line is not a JSON object; start again with --overwrite")
        }
        return object
    }

    /// Decodes `add(_:floats:)`.
    public static func floats(_ value: Any?) -> [Float]? {
        guard let text = value as? String, let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
