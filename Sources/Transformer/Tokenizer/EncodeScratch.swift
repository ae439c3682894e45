import Synchronization

/// Per-thread working memory of the encoder: the word cache and the buffers of the merge loop,
/// allocated once and reused, so that encoding a word allocates nothing on a cache hit.
///
/// `@unchecked Sendable` because the pool below hands each instance to exactly one thread at a
/// time; an instance is never touched by two threads at once.
final class EncodeScratch: @unchecked Sendable {
    var cache: WordCache
    var symbols: [Int32] = []
    var prev: [Int32] = []
    var next: [Int32] = []
    var alive: [Bool] = []
    var heap = BinaryHeap<UInt64>()
    var text: [UInt8] = []
    var key: [UInt8] = []

    init(cacheEntries: Int) { cache = WordCache(maxEntries: cacheEntries) }
}

/// A small pool of `EncodeScratch`, so that concurrent `encode` calls (or the workers of
/// `encodeBatch`) each get their own without a lock per word.
final class ScratchPool: Sendable {
    private let free = Mutex<[EncodeScratch]>([])
    let cacheEntries: Int

    init(cacheEntries: Int) { self.cacheEntries = cacheEntries }

    func withScratch<R>(_ body: (EncodeScratch) -> R) -> R {
        let scratch = free.withLock { $0.popLast() } ?? EncodeScratch(cacheEntries: cacheEntries)
        defer { free.withLock { pool in if pool.count < 8 { pool.append(scratch) } } }
        return body(scratch)
    }
}
