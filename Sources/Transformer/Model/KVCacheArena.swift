import Foundation

/// Keeps the key/value memory of the last released `KVCache` for the next one.
///
/// A cache for a batch of long prompts spans hundreds of megabytes, which malloc serves with
/// fresh `mmap` pages: every batch would fault in and zero all of it again (measured on
/// `c2s annotate` with a Pythia-160m-sized model: page faults 1.2 M -> 0.44 M and system time
/// 13 -> 7 s once reused). Batches of one run need caches of about the same size, so one
/// retained block pair removes nearly all of that. Only one pair is kept, and only up to `retainLimitBytes`.
public final class KVCacheArena: @unchecked Sendable {
    /// The arena every `KVCache` uses.
    public static let shared = KVCacheArena()

    /// Largest block pair (keys + values, bytes) kept after its cache is released.
    public var retainLimitBytes: Int {
        get { lock.withLock { limit } }
        set { lock.withLock { limit = newValue } }
    }

    private let lock = NSLock()
    private var limit = 4 << 30
    private var keys: UnsafeMutablePointer<Float>?
    private var values: UnsafeMutablePointer<Float>?
    private var count = 0

    /// Key and value blocks of at least `count` floats each, reused when the retained pair is
    /// large enough (their contents are stale: a cache reads only positions it has written).
    func take(count needed: Int) -> (keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>, count: Int) {
        lock.lock()
        if let k = keys, let v = values, count >= needed {
            let c = count
            keys = nil; values = nil; count = 0
            lock.unlock()
            return (k, v, c)
        }
        lock.unlock()
        // A quarter more than asked, so that the next batch, whose prompts may be a little
        // longer, still fits; pages never written are never faulted in.
        let c = needed + needed / 4
        return (.allocate(capacity: c), .allocate(capacity: c), c)
    }

    /// Returns a cache's blocks: kept if they are the largest pair seen within the limit,
    /// freed otherwise.
    func give(keys k: UnsafeMutablePointer<Float>, values v: UnsafeMutablePointer<Float>, count c: Int) {
        lock.lock()
        var free: [UnsafeMutablePointer<Float>] = []
        if c >= count, 2 * c * MemoryLayout<Float>.size <= limit {
            if let old = keys { free.append(old) }
            if let old = values { free.append(old) }
            keys = k; values = v; count = c
        } else {
            free = [k, v]
        }
        lock.unlock()
        for p in free { p.deallocate() }
    }

    /// Frees the retained blocks (a library user done with generation can call this).
    public func releaseRetained() {
        lock.lock()
        let k = keys, v = values
        keys = nil; values = nil; count = 0
        lock.unlock()
        k?.deallocate()
        v?.deallocate()
    }

    /// Bytes currently retained.
    public var retainedBytes: Int { lock.withLock { keys == nil ? 0 : 2 * count * MemoryLayout<Float>.size } }
}
