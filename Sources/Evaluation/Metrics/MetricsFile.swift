import Foundation
import SingleCell

/// Writes metric results as JSON files.
public enum MetricsFile {
    /// `value` as pretty JSON with sorted keys (undefined metrics are `null`).
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(10)
        return data
    }

    /// Writes `value` as JSON to `path` atomically (temporary file, then rename).
    public static func write<T: Encodable>(_ value: T, to path: String) throws {
        try AtomicTextFile.write(String(decoding: try encode(value), as: UTF8.self), to: path)
    }

    /// Writes `text` to `path` atomically.
    public static func write(text: String, to path: String) throws {
        try AtomicTextFile.write(text, to: path)
    }
}
