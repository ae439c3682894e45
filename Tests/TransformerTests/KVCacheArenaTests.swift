import XCTest
import TestSupport
@testable import Transformer

/// The arena hands a released cache's memory to the next cache, so batches of a run do not
/// fault in fresh pages; stale contents must never reach the output.
final class KVCacheArenaTests: XCTestCase {
    override func tearDown() {
        KVCacheArena.shared.retainLimitBytes = 4 << 30
        KVCacheArena.shared.releaseRetained()
    }

    func testReleasedCacheMemoryIsReusedByTheNextCacheThatFits() {
        let arena = KVCacheArena.shared
        arena.releaseRetained()
        XCTAssertEqual(arena.retainedBytes, 0)
        var first: KVCache? = KVCache(layers: 2, kvWidth: 8, capacities: [100, 50])
        let keys = first!.keys
        first = nil
        XCTAssertGreaterThanOrEqual(arena.retainedBytes, 2 * 2 * 150 * 8 * 4, "the released blocks are kept")
        // Slightly larger than the first (within the slack allocated with it): same memory.
        let second = KVCache(layers: 2, kvWidth: 8, capacities: [170])
        XCTAssertEqual(second.keys, keys)
        XCTAssertEqual(arena.retainedBytes, 0, "a block pair is held by one cache at a time")
        // A cache that does not fit gets fresh memory.
        let third = KVCache(layers: 2, kvWidth: 8, capacities: [10_000])
        XCTAssertNotEqual(third.keys, keys)
    }

    func testBlocksOverTheLimitAreFreedNotKept() {
        let arena = KVCacheArena.shared
        arena.releaseRetained()
        arena.retainLimitBytes = 1024
        var cache: KVCache? = KVCache(layers: 2, kvWidth: 8, capacities: [100])
        XCTAssertNotNil(cache)
        cache = nil
        XCTAssertEqual(arena.retainedBytes, 0)
    }

    /// Poison the retained memory with NaN: generation through a cache built on it must still
    /// equal transformers token for token (the cache reads only positions it wrote).
    func testStaleContentsOfReusedMemoryNeverReachTheOutput() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("lm/gpt_neox")
        let model = try ModelLoader.load(folder: folder)
        let json = try XCTUnwrap(try loadGzipJSON("lm/gpt_neox/expected.json.gz") as? [String: Any])
        let prompts = (json["sequences"] as? [[Int]] ?? []).map { $0.map { Int32($0) } }
        let greedy = (json["greedy"] as? [[Int]] ?? []).map { $0.map { Int32($0) } }
        XCTAssertFalse(prompts.isEmpty)
        let arena = KVCacheArena.shared
        arena.releaseRetained()
        let blocks = arena.take(count: 1 << 20)
        blocks.keys.update(repeating: .nan, count: blocks.count)
        blocks.values.update(repeating: .nan, count: blocks.count)
        arena.give(keys: blocks.keys, values: blocks.values, count: blocks.count)
        let out = try Generator(model: model).generate(prompts: prompts, options: GenerationOptions(maxNewTokens: 12, minNewTokens: 12))
        XCTAssertEqual(arena.retainedBytes, blocks.count * 8, "the poisoned blocks were used and given back")
        XCTAssertEqual(out.map(\.tokens), greedy)
    }
}
