import Mechanics

/// One tensor entry of a safetensors header, as parsed and before the layout is checked.
struct ParsedTensorEntry {
    var name: String
    var dtype: SafetensorsDType
    var shape: [Int]
    var begin: Int
    var end: Int
}

/// A JSON parser for exactly the schema of a safetensors header:
/// `{"__metadata__": {string: string} | null, name: {"dtype": s, "shape": [n...], "data_offsets": [b, e]}, ...}`.
///
/// Why not `JSONSerialization`: it would turn `2.0` or `1e2` into an acceptable integer, parse
/// `18446744073709551616` as a lossy `Double`, and could not tell a user which tensor and which
/// byte is wrong. Reading the schema directly lets every rule of the Rust reader be mirrored:
/// shape and offsets must be non-negative integer literals that fit, `data_offsets` has exactly
/// two entries, dtype is one of the known names, unknown fields in a tensor entry are ignored
/// (serde ignores them too), and nothing but whitespace may follow the closing brace.
/// The input has already been checked to be UTF-8, as the Rust reader does first.
struct SafetensorsHeaderParser {
    private let bytes: UnsafeRawBufferPointer
    private let path: String
    private var position = 0

    /// Nesting allowed inside ignored values; deeper input is refused rather than recursed into,
    /// so hostile headers cannot exhaust the stack.
    private static let maximumDepth = 64

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Parses the whole header. Duplicate tensor names are refused: the Python library silently
    /// keeps the last one, which would hide a tensor that the file claims to contain.
    mutating func parse() throws -> (tensors: [ParsedTensorEntry], metadata: [String: String]?) {
        var tensors: [ParsedTensorEntry] = []
        var metadata: [String: String]? = nil
        var seen = Set<String>()
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else {
            throw fail(peek() == nil ? "the header is empty" : "the header is not a JSON object (it starts with \(describeByte()))")
        }
        position += 1
        try parseMembers { parser, key in
            guard seen.insert(key).inserted else {
                throw parser.fail("the name \"\(key)\" appears twice in the header")
            }
            if key == "__metadata__" {
                metadata = try parser.parseMetadata()
            } else {
                tensors.append(try parser.parseTensor(named: key))
            }
        }
        skipWhitespace()
        if position != bytes.count {
            throw fail("unexpected \(describeByte()) after the end of the JSON object")
        }
        return (tensors, metadata)
    }

    // MARK: Schema

    private mutating func parseMetadata() throws -> [String: String]? {
        skipWhitespace()
        if try parseNullIfPresent() { return nil }
        guard peek() == UInt8(ascii: "{") else { throw fail("__metadata__ must be an object of strings") }
        position += 1
        var result: [String: String] = [:]
        try parseMembers { parser, key in
            parser.skipWhitespace()
            guard parser.peek() == UInt8(ascii: "\"") else { throw parser.fail("__metadata__ value of \"\(key)\" must be a string") }
            result[key] = try parser.parseString()
        }
        return result
    }

    private mutating func parseTensor(named name: String) throws -> ParsedTensorEntry {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else { throw failTensor(name, "the entry must be an object with dtype, shape and data_offsets") }
        position += 1
        var dtype: SafetensorsDType?
        var shape: [Int]?
        var offsets: [Int]?
        try parseMembers { parser, field in
            parser.skipWhitespace()
            switch field {
            case "dtype":
                guard dtype == nil else { throw parser.failTensor(name, "duplicate field dtype") }
                guard parser.peek() == UInt8(ascii: "\"") else { throw parser.failTensor(name, "dtype must be a string") }
                let text = try parser.parseString()
                guard let known = SafetensorsDType(rawValue: text) else {
                    throw parser.failTensor(name, "unknown dtype \"\(text)\" (known: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                dtype = known
            case "shape":
                guard shape == nil else { throw parser.failTensor(name, "duplicate field shape") }
                shape = try parser.parseIntegerArray(tensor: name, field: "shape")
            case "data_offsets":
                guard offsets == nil else { throw parser.failTensor(name, "duplicate field data_offsets") }
                let values = try parser.parseIntegerArray(tensor: name, field: "data_offsets")
                guard values.count == 2 else {
                    throw parser.failTensor(name, "data_offsets must have exactly 2 entries [begin, end], found \(values.count)")
                }
                offsets = values
            default:
                try parser.skipValue(depth: 0)
            }
        }
        guard let dtype else { throw failTensor(name, "missing field dtype") }
        guard let shape else { throw failTensor(name, "missing field shape") }
        guard let offsets else { throw failTensor(name, "missing field data_offsets") }
        return ParsedTensorEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// The members of an object whose `{` was read, through its closing `}`: `member` reads each
    /// value, given the parser just after the member's key and colon.
    private mutating func parseMembers(_ member: (inout Self, _ key: String) throws -> Void) throws {
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { position += 1; return }
        while true {
            skipWhitespace()
            let key = try parseString()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            skipWhitespace()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"))
            return
        }
    }

    private mutating func parseIntegerArray(tensor: String, field: String) throws -> [Int] {
        guard peek() == UInt8(ascii: "[") else { throw failTensor(tensor, "\(field) must be an array of non-negative integers") }
        position += 1
        var values: [Int] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { position += 1; return values }
        while true {
            skipWhitespace()
            values.append(try parseNonNegativeInteger(tensor: tensor, field: field))
            skipWhitespace()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            guard peek() == UInt8(ascii: "]") else { throw failTensor(tensor, "\(field) must be an array of non-negative integers") }
            position += 1
            return values
        }
    }

    /// A JSON integer literal without sign, fraction or exponent that fits in `Int`.
    private mutating func parseNonNegativeInteger(tensor: String, field: String) throws -> Int {
        let start = position
        var value = 0
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if o1 || o2 { throw failTensor(tensor, "\(field) holds a number too large to be a size") }
            value = sum
            position += 1
        }
        let digits = position - start
        if digits == 0 || (digits > 1 && bytes[start] == UInt8(ascii: "0")) {
            throw failTensor(tensor, "\(field) must hold non-negative integers (found \(describeByte(at: start)))")
        }
        if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            throw failTensor(tensor, "\(field) must hold integers, not fractional or exponent numbers")
        }
        return value
    }

    // MARK: JSON lexing

    /// A JSON string, with escapes decoded and control characters refused.
    private mutating func parseString() throws -> String {
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string, found \(describeByte())") }
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flushRun(_ end: Int) {
            if end > runStart {
                // Valid UTF-8 was checked for the whole header, so decoding cannot fail here.
                scalars.append(contentsOf: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[runStart..<end]), as: UTF8.self).unicodeScalars)
            }
        }
        while true {
            guard let byte = peek() else { throw fail("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                flushRun(position)
                position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                flushRun(position)
                position += 1
                guard let escape = peek() else { throw fail("unterminated string") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"): scalars.append(try parseUnicodeEscape())
                default: throw fail("invalid escape \\\(Character(Unicode.Scalar(escape)))")
                }
                runStart = position
            case 0..<0x20:
                throw fail("control character inside a string")
            default:
                position += 1
            }
        }
    }

    /// The scalar of `\uXXXX` (the `\u` already consumed), joining surrogate pairs.
    private mutating func parseUnicodeEscape() throws -> Unicode.Scalar {
        let high = try parseHex4()
        if (0xD800..<0xDC00).contains(high) {
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                throw fail("unpaired surrogate in \\u escape")
            }
            position += 2
            let low = try parseHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
        }
        guard let scalar = Unicode.Scalar(high) else { throw fail("unpaired surrogate in \\u escape") }
        return scalar
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw fail("truncated \\u escape") }
            guard let digit = JSONText.hexDigit(byte) else { throw fail("invalid hex digit in \\u escape") }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Skips any JSON value (an unknown field of a tensor entry), refusing deep nesting.
    private mutating func skipValue(depth: Int) throws {
        guard depth < Self.maximumDepth else { throw fail("JSON nested more than \(Self.maximumDepth) levels deep") }
        skipWhitespace()
        guard let byte = peek() else { throw fail("unexpected end of header") }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try parseString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            position += 1
            skipWhitespace()
            if peek() == close { position += 1; return }
            while true {
                if close == UInt8(ascii: "}") {
                    skipWhitespace()
                    _ = try parseString()
                    try expect(UInt8(ascii: ":"))
                }
                try skipValue(depth: depth + 1)
                skipWhitespace()
                if peek() == UInt8(ascii: ",") { position += 1; continue }
                try expect(close)
                return
            }
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        default:
            throw fail("unexpected \(describeByte())")
        }
    }

    private mutating func skipNumber() throws {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        skipDigits()
        guard position > digitsStart else { throw fail("invalid number") }
        if bytes[digitsStart] == UInt8(ascii: "0") && position - digitsStart > 1 { throw fail("invalid number (leading zero)") }
        if peek() == UInt8(ascii: ".") {
            position += 1
            let fraction = position
            skipDigits()
            guard position > fraction else { throw fail("invalid number") }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            position += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            let exponent = position
            skipDigits()
            guard position > exponent else { throw fail("invalid number") }
        }
        assert(position > start)
    }

    private mutating func skipDigits() {
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
    }

    private mutating func parseNullIfPresent() throws -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try expectLiteral("null")
        return true
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw fail("unexpected end of header") }
        for i in 0..<count where bytes[position + i] != literal.utf8Start[i] {
            throw fail("invalid literal at byte \(position + i)")
        }
        position += count
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipWhitespace()
        guard peek() == byte else {
            throw fail("expected '\(Character(Unicode.Scalar(byte)))', found \(describeByte())")
        }
        position += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    @inline(__always) private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    // MARK: Errors

    private func describeByte(at index: Int? = nil) -> String {
        let i = index ?? position
        guard i < bytes.count else { return "the end of the header" }
        let byte = bytes[i]
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    /// Offsets in messages count from the start of the file (the JSON begins at byte 8).
    private func fail(_ problem: String) -> CheckpointError {
        .invalidFile(path: path, problem: "header JSON, byte \(position + 8): \(problem)")
    }

    private func failTensor(_ name: String, _ problem: String) -> CheckpointError {
        .invalidTensor(path: path, tensor: name, problem: problem)
    }
}
