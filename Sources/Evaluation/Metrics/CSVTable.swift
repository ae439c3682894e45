import Foundation
import SingleCell

/// Quoting of one CSV field (RFC 4180).
public enum CSVField {
    /// `s` as it is, or in double quotes (inner quotes doubled) when it holds a comma, quote,
    /// line break or surrounding spaces.
    public static func quote(_ s: String) -> String {
        let needs = s.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } || s.first == " " || s.last == " "
        return needs ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

/// A delimited text table with a header row, held as text columns (for label files).
///
/// Fields may be quoted with double quotes (RFC 4180: a doubled quote inside is a quote; a
/// quoted field may span lines). Lines end with LF or CRLF. The delimiter is a comma, or a tab
/// for `.tsv`/`.txt`/`.tab` names (also gzipped names are not read: labels files are small).
public struct CSVTable: Sendable {
    /// The file as the user named it.
    public let path: String
    public let header: [String]
    /// Rows of fields, each as long as the header.
    public let rows: [[String]]

    /// Reads `path`; `delimiter` nil picks one from the name.
    public init(path: String, delimiter: UInt8? = nil) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path, FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        let ext = (path as NSString).pathExtension.lowercased()
        let sep = delimiter ?? (["tsv", "txt", "tab"].contains(ext) ? UInt8(ascii: "\t") : UInt8(ascii: ","))
        var records = try Self.parse([UInt8](data), delimiter: sep, path: path)
        guard !records.isEmpty else { throw FileError(path, "empty file (expected a header row)") }
        var header = records.removeFirst()
        if let first = header.first, first.hasPrefix("\u{FEFF}") { header[0] = String(first.dropFirst()) }
        for (i, r) in records.enumerated() where r.count != header.count {
            throw FileError(path, "row \(i + 2) has \(r.count) fields but the header has \(header.count)")
        }
        self.header = header
        rows = records
    }

    /// The values of the column named `name`.
    public func column(_ name: String) throws -> [String] {
        guard let i = header.firstIndex(of: name) else {
            throw FileError(path, "no column '\(name)'; columns: \(header.joined(separator: ", "))")
        }
        return rows.map { $0[i] }
    }

    /// Splits `bytes` into records of fields.
    static func parse(_ bytes: [UInt8], delimiter: UInt8, path: String) throws -> [[String]] {
        var records: [[String]] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var i = 0
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var quoted = false
        var line = 1
        var recordHasContent = false
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == quote {
                    if i + 1 < bytes.count && bytes[i + 1] == quote { field.append(quote); i += 2; continue }
                    quoted = false
                } else {
                    if b == lf { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case quote where field.isEmpty:
                quoted = true; recordHasContent = true
            case delimiter:
                endField(); recordHasContent = true
            case lf, cr:
                if b == cr && i + 1 < bytes.count && bytes[i + 1] == lf { i += 1 }
                if recordHasContent || !field.isEmpty {
                    endField()
                    records.append(fields)
                }
                fields.removeAll(keepingCapacity: true)
                recordHasContent = false
                line += 1
            default:
                field.append(b); recordHasContent = true
            }
            i += 1
        }
        if quoted { throw FileError(path, "a quoted field opened near line \(line) is never closed") }
        if recordHasContent || !field.isEmpty {
            endField()
            records.append(fields)
        }
        return records
    }
}
