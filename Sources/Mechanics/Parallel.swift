import Foundation

/// Work spread over cores with `DispatchQueue.concurrentPerform`.
public enum Parallel {
    /// Number of worker threads to use by default: every core.
    public static var defaultThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Splits `0..<count` into at most `parts` contiguous ranges of near-equal size.
    public static func ranges(_ count: Int, parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, count))
        guard count > 0 else { return [] }
        return (0..<parts).map { p in (count * p / parts)..<(count * (p + 1) / parts) }
    }

    /// Runs `body` once per range of `0..<count`, split into `threads` parts, concurrently.
    public static func forEachRange(_ count: Int, threads: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
        forEach(ranges(count, parts: threads), body)
    }

    /// Runs `body(p, parts[p])` for every part, concurrently when there are several (a single
    /// part runs on the calling thread). For parts cut by the caller, e.g. at line ends.
    public static func forEach(_ parts: [Range<Int>], _ body: @Sendable (Int, Range<Int>) -> Void) {
        if parts.count <= 1 {
            if let r = parts.first { body(0, r) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts.count) { body($0, parts[$0]) }
    }
}
