/// Keys and values of every layer for a set of sequences ("slots"), so that generation feeds
/// only new tokens through the model. Each slot owns `capacity` positions; a layer's keys for a
/// slot are `[capacity, kvWidth]`, token-major, so a new token's keys are one contiguous row.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let kvWidth: Int
    public let capacities: [Int]
    /// Positions filled so far per slot (the same for every layer between forward passes).
    public internal(set) var lengths: [Int]
    let slotOffsets: [Int]
    let layerStride: Int
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
    /// Floats in each of `keys` and `values` (at least `layers * layerStride`).
    private let blockCount: Int

    /// A cache for `capacities.count` sequences holding up to `capacities[i]` tokens each.
    public init(layers: Int, kvWidth: Int, capacities: [Int]) {
        self.layers = layers
        self.kvWidth = kvWidth
        self.capacities = capacities
        lengths = Array(repeating: 0, count: capacities.count)
        var offsets: [Int] = []
        var total = 0
        for c in capacities { offsets.append(total); total += c * kvWidth }
        slotOffsets = offsets
        layerStride = total
        let blocks = KVCacheArena.shared.take(count: max(1, layers * total))
        keys = blocks.keys
        values = blocks.values
        blockCount = blocks.count
    }

    deinit {
        KVCacheArena.shared.give(keys: keys, values: values, count: blockCount)
    }

    /// Bytes held for keys and values.
    public var byteCount: Int { 2 * layers * layerStride * MemoryLayout<Float>.size }

    @inline(__always) func keys(layer: Int, slot: Int) -> UnsafeMutablePointer<Float> {
        keys + layer * layerStride + slotOffsets[slot]
    }

    @inline(__always) func values(layer: Int, slot: Int) -> UnsafeMutablePointer<Float> {
        values + layer * layerStride + slotOffsets[slot]
    }

    /// Forgets a slot's tokens so it can hold a new sequence.
    public func reset(slot: Int) { lengths[slot] = 0 }
}

extension KVCache {
    /// Forgets a slot's tokens after the first `length`, so the sequence can continue
    /// differently from there (scoring several continuations of one prompt).
    public func truncate(slot: Int, to length: Int) {
        precondition(length >= 0 && length <= lengths[slot], "cannot truncate slot \(slot) of \(lengths[slot]) tokens to \(length)")
        lengths[slot] = length
    }
}
