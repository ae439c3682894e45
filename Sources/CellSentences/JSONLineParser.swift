import Foundation

/// A scalar value of a top-level JSON field.
public enum JSONScalar: Equatable, Sendable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    /// A nested object or array (kept as its raw text).
    case other(String)

    /// The value as a cell's field text (what `--where column=value` matches and obs holds):
    /// strings as they are, whole numbers without a fraction, `true`/`false`, nil for null.
    public var fieldText: String? {
        switch self {
        case .string(let s): return s
        case .number(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        case .bool(let b): return b ? "true" : "false"
        case .null: return nil
        case .other(let raw): return raw
        }
    }
}

/// A small, fast parser for one JSON object per line. The field holding the sentence is
/// unescaped into a byte buffer instead of becoming a String, since sentences are long and
/// there are millions of them.
public enum JSONLineParser {
    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses `line`; the value of `sentenceField` (a JSON string) goes into `sentence`
    /// (cleared first) and is not returned among the fields. Returns the other fields in order
    /// and whether the sentence field was present.
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, sentenceField: [UInt8], sentence: inout [UInt8]) throws -> (fields: [(String, JSONScalar)], found: Bool) {
        let r = try parse(line, sentenceField: sentenceField, sentence: &sentence, allowInPlace: false)
        return (r.fields, r.found)
    }

    /// As `parse`, but when the sentence has no escapes and `allowInPlace` is set, its byte
    /// range within `line` is returned instead of copying it into `sentence`.
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, sentenceField: [UInt8], sentence: inout [UInt8], allowInPlace: Bool) throws -> (fields: [(String, JSONScalar)], found: Bool, inPlace: Range<Int>?) {
        sentence.removeAll(keepingCapacity: true)
        var inPlace: Range<Int>?
        var p = Cursor(bytes: line)
        var fields: [(String, JSONScalar)] = []
        var found = false
        p.skipSpace()
        try p.expect(123)  // {
        p.skipSpace()
        if p.peek == 125 { p.i += 1; return (fields, found, nil) }
        var key: [UInt8] = []
        while true {
            p.skipSpace()
            key.removeAll(keepingCapacity: true)
            try p.string(into: &key)
            p.skipSpace()
            try p.expect(58)  // :
            p.skipSpace()
            if key == sentenceField {
                guard p.peek == 34 else { throw Failure(message: "field '\(String(decoding: key, as: UTF8.self))' is not a string") }
                if allowInPlace, let range = p.plainString() {
                    inPlace = range
                } else {
                    try p.string(into: &sentence)
                }
                found = true
            } else {
                fields.append((String(decoding: key, as: UTF8.self), try p.value()))
            }
            p.skipSpace()
            if p.peek == 44 { p.i += 1; continue }
            try p.expect(125)  // }
            break
        }
        p.skipSpace()
        guard p.i == line.count else { throw Failure(message: "unexpected text after the JSON object") }
        return (fields, found, inPlace)
    }

    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        var peek: UInt8 { i < bytes.count ? bytes[i] : 0 }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 }
        }

        mutating func expect(_ c: UInt8) throws {
            guard peek == c else {
                throw Failure(message: "expected '\(Character(Unicode.Scalar(c)))' at byte \(i + 1)")
            }
            i += 1
        }

        /// The range of a string without escapes (cursor moved past it), or nil (cursor unchanged).
        mutating func plainString() -> Range<Int>? {
            let start = i + 1
            guard start <= bytes.count, let base = bytes.baseAddress else { return nil }
            // memchr is vectorised: find the closing quote, then make sure no escape precedes it.
            guard let q = memchr(base + start, 34, bytes.count - start) else { return nil }
            let end = UnsafeRawPointer(q) - UnsafeRawPointer(base)
            if memchr(base + start, 92, end - start) != nil { return nil }
            i = end + 1
            return start..<end
        }

        mutating func string(into out: inout [UInt8]) throws {
            try expect(34)
            while true {
                // Copy the run up to the next quote or backslash in one go.
                let start = i
                while i < bytes.count, bytes[i] != 34, bytes[i] != 92 { i += 1 }
                if i > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i])) }
                guard i < bytes.count else { throw Failure(message: "unterminated string") }
                let c = bytes[i]
                i += 1
                if c == 34 { return }
                guard i < bytes.count else { throw Failure(message: "unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case 34, 92, 47: out.append(e)
                case 98: out.append(8)
                case 102: out.append(12)
                case 110: out.append(10)
                case 114: out.append(13)
                case 116: out.append(9)
                case 117:
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00, peek == 92, i + 1 < bytes.count, bytes[i + 1] == 117 {
                        i += 2
                        let low = try hex4()
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
                default: throw Failure(message: "bad escape \\\(Character(Unicode.Scalar(e)))")
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw Failure(message: "bad \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                i += 1
                let d: UInt32
                switch c {
                case 48...57: d = UInt32(c - 48)
                case 65...70: d = UInt32(c - 55)
                case 97...102: d = UInt32(c - 87)
                default: throw Failure(message: "bad \\u escape")
                }
                v = v * 16 + d
            }
            return v
        }

        mutating func value() throws -> JSONScalar {
            switch peek {
            case 34:
                var s: [UInt8] = []
                try string(into: &s)
                return .string(String(decoding: s, as: UTF8.self))
            case 116: try literal("true"); return .bool(true)
            case 102: try literal("false"); return .bool(false)
            case 110: try literal("null"); return .null
            case 123, 91:
                let start = i
                try skipNested()
                return .other(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
            default:
                let start = i
                while i < bytes.count, [43, 45, 46, 69, 101].contains(bytes[i]) || (bytes[i] >= 48 && bytes[i] <= 57) { i += 1 }
                guard i > start, let v = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)) else {
                    throw Failure(message: "unexpected character at byte \(start + 1)")
                }
                return .number(v)
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count, memcmp(bytes.baseAddress! + i, word.utf8Start, n) == 0 else {
                throw Failure(message: "unexpected text at byte \(i + 1)")
            }
            i += n
        }

        mutating func skipNested() throws {
            var depth = 0
            var scratch: [UInt8] = []
            repeat {
                guard i < bytes.count else { throw Failure(message: "unterminated object or array") }
                switch bytes[i] {
                case 34: try string(into: &scratch); scratch.removeAll(keepingCapacity: true); continue
                case 123, 91: depth += 1
                case 125, 93: depth -= 1
                default: break
                }
                i += 1
            } while depth > 0
        }
    }
}
