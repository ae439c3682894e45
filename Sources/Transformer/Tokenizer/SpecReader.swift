/// Typed access to the parsed JSON of one file, turning every wrong shape into a
/// `TokenizerError` that names the file and the JSON path of the offending value.
struct SpecReader {
    let file: String

    func invalid(_ path: String, _ message: String) -> TokenizerError {
        TokenizerError(.invalid, file: file, "\(path): \(message)")
    }

    func object(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> JSONValue {
        guard let value else { throw invalid(path, "missing (expected an object)") }
        guard case .object = value else { throw invalid(path, "expected an object, found \(value.typeName)") }
        return value
    }

    func array(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> [JSONValue] {
        guard let value else { throw invalid(path, "missing (expected an array)") }
        guard let a = value.arrayValue else { throw invalid(path, "expected an array, found \(value.typeName)") }
        return a
    }

    func string(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> String {
        guard let value else { throw invalid(path, "missing (expected a string)") }
        guard let s = value.stringValue else { throw invalid(path, "expected a string, found \(value.typeName)") }
        return s
    }

    /// A string, or nil when absent or null.
    func optionalString(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> String? {
        guard let value, !value.isNull else { return nil }
        return try string(value, path)
    }

    func bool(_ value: JSONValue?, _ path: String, default defaultValue: Bool) throws(TokenizerError) -> Bool {
        guard let value, !value.isNull else { return defaultValue }
        guard let b = value.boolValue else { throw invalid(path, "expected a boolean, found \(value.typeName)") }
        return b
    }

    func int(_ value: JSONValue?, _ path: String, range: ClosedRange<Int>) throws(TokenizerError) -> Int {
        guard let value else { throw invalid(path, "missing (expected an integer)") }
        guard let i = value.intValue else { throw invalid(path, "expected an integer, found \(value.typeName)") }
        guard range.contains(i) else { throw invalid(path, "\(i) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    func optionalInt(_ value: JSONValue?, _ path: String, range: ClosedRange<Int>, default defaultValue: Int) throws(TokenizerError) -> Int {
        guard let value, !value.isNull else { return defaultValue }
        return try int(value, path, range: range)
    }

    /// A string holding exactly one unicode scalar (a Rust `char` field).
    func scalar(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> UInt32 {
        let s = try string(value, path)
        let scalars = Array(s.unicodeScalars)
        guard scalars.count == 1 else { throw invalid(path, "expected a single character, found \"\(s)\"") }
        return scalars[0].value
    }

    /// The `type` of a component object.
    func type(_ value: JSONValue, _ path: String) throws(TokenizerError) -> String {
        try string(value["type"], path + ".type")
    }

    /// `{"String": "..."}` patterns; `{"Regex": ...}` is reported as unsupported.
    func stringPattern(_ value: JSONValue?, _ path: String, component: String) throws(TokenizerError) -> [UInt8] {
        let pattern = try object(value, path)
        if let s = pattern["String"] {
            let bytes = Array(try string(s, path + ".String").utf8)
            guard !bytes.isEmpty else { throw invalid(path + ".String", "an empty pattern is not supported") }
            return bytes
        }
        if pattern["Regex"] != nil {
            throw TokenizerError(.unsupported, file: file,
                                 "\(path): \(component) with a Regex pattern is not supported (supported: String patterns)")
        }
        throw invalid(path, "expected {\"String\": ...} or {\"Regex\": ...}")
    }
}
