import Dispatch
import Foundation

/// How the engine spreads work over cores. OpenBLAS owns the cores during a large matrix
/// product; our own kernels split rows over `count` workers between products. The two never
/// run at once, because on two cores oversubscription costs more than it gains.
public enum KernelThreads {
    /// Worker count for our own kernels (the machine's active cores unless set).
    nonisolated(unsafe) public static var count: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(range)` over `0..<total` split into contiguous ranges, one per worker, in
    /// parallel when the work is large enough (`grain` items per worker at least).
    @inline(__always)
    public static func forRanges(_ total: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = min(count, max(1, total / max(1, grain)))
        if workers <= 1 || total <= 1 {
            if total > 0 { body(0..<total) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UnsafeBody(body)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = total * w / workers, hi = total * (w + 1) / workers
                if lo < hi { shared.body(lo..<hi) }
            }
        }
    }

    /// Runs `body(i)` for each `i` in `0..<total`, items handed out dynamically (for uneven
    /// items such as attention over sequences of different lengths).
    @inline(__always)
    public static func forEach(_ total: Int, _ body: (Int) -> Void) {
        if count <= 1 || total <= 1 {
            for i in 0..<total { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UnsafeBody(body)
            DispatchQueue.concurrentPerform(iterations: total) { i in shared.body(i) }
        }
    }
}

/// A non-escaping closure handed to `concurrentPerform`; the kernels that use it write to
/// disjoint memory per item, which is what makes sharing it across threads sound.
private struct UnsafeBody<Argument>: @unchecked Sendable {
    let body: (Argument) -> Void
    init(_ body: @escaping (Argument) -> Void) { self.body = body }
}
