/// Wraps a value whose use across threads is made safe by the caller's ordering.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
