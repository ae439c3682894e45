import Foundation

/// Mutable state used from one thread at a time (the main thread of the conversion).
final class StreamBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// The first error raised on a background thread.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    var error: Error? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); if stored == nil { stored = newValue }; lock.unlock() }
    }
}
