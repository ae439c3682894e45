/// One JSON object on one line, from fields in the order given: the line format of the `lm`
/// commands' outputs and of the benchmarks' timing lines. Strings are escaped by `JSONText`.
///
/// Its numbers keep Swift's own text (`1.0` for a whole `Double`), which the outputs have always
/// shown, so this is not `JSONText.number`'s dialect (whole values as integers) that the chunk
/// files' `ResultLine` writes.
public enum JSONLine {
    /// A field's value.
    public enum Value {
        /// An integer.
        case int(Int)
        /// A double as Swift prints it; NaN and infinities become `null`.
        case double(Double)
        /// A JSON string.
        case string(String)
        /// An array of integers.
        case ints([Int])
        /// An array of floats as Swift prints them; NaN and infinities become `null`.
        case doubles([Float])
        /// Text written as is: a number (or literal) already formatted, e.g. a `UInt64` checksum.
        case number(String)
    }

    /// The object `{"key":value,...}` with `fields` in their order (no line break).
    public static func object(_ fields: [(String, Value)]) -> String {
        var s = "{"
        for (i, (key, value)) in fields.enumerated() {
            if i > 0 { s += "," }
            s += quote(key) + ":"
            switch value {
            case .int(let n): s += String(n)
            case .double(let d): s += d.isFinite ? "\(d)" : "null"
            case .string(let t): s += quote(t)
            case .number(let digits): s += digits
            case .ints(let a): s += "[" + a.map(String.init).joined(separator: ",") + "]"
            case .doubles(let a): s += "[" + a.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
            }
        }
        return s + "}"
    }

    /// `text` as a JSON string literal, quotes included.
    public static func quote(_ text: String) -> String {
        var bytes: [UInt8] = []
        JSONText.appendString(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A JSON array of integers, e.g. one line of token ids.
    public static func array(_ values: [Int32]) -> String {
        "[" + values.map { String($0) }.joined(separator: ",") + "]"
    }
}
