/// A metric that can be undefined (NaN, e.g. a correlation with a constant series).
///
/// JSON has no NaN, so an undefined value is written as `null` and read back as NaN; the
/// Swift value stays a plain `Double`.
@propertyWrapper
public struct NullableMetric: Codable, Sendable, Equatable {
    public var wrappedValue: Double

    public init(wrappedValue: Double) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? .nan : try container.decode(Double.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if wrappedValue.isFinite { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }

    /// Two undefined values are equal.
    public static func == (a: NullableMetric, b: NullableMetric) -> Bool {
        a.wrappedValue == b.wrappedValue || (a.wrappedValue.isNaN && b.wrappedValue.isNaN)
    }
}
