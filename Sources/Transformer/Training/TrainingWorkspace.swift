/// Memory for training passes, kept by a model between steps: one float arena for the
/// activations the backward pass needs and its scratch buffers, one small integer arena
/// (tokens, positions, target rows), and attention's per-worker score blocks. The arenas grow
/// to the largest batch seen and are then reused, so a step allocates nothing once warm.
final class TrainingWorkspace: @unchecked Sendable {
    private(set) var floats: UnsafeMutablePointer<Float>
    private(set) var floatCapacity = 0
    private(set) var integers: UnsafeMutablePointer<Int32>
    private(set) var integerCapacity = 0
    let attention = AttentionScratch()
    /// Keep only each layer's input and recompute the rest in the backward pass.
    var checkpointActivations = false

    init() {
        floats = .allocate(capacity: 1)
        integers = .allocate(capacity: 1)
    }

    deinit {
        floats.deallocate()
        integers.deallocate()
    }

    /// Makes room for at least `floatCount` floats and `integerCount` integers (contents are
    /// not kept when an arena grows).
    func reserve(floats floatCount: Int, integers integerCount: Int) {
        if floatCount > floatCapacity {
            floats.deallocate()
            floats = .allocate(capacity: floatCount)
            floatCapacity = floatCount
        }
        if integerCount > integerCapacity {
            integers.deallocate()
            integers = .allocate(capacity: integerCount)
            integerCapacity = integerCount
        }
    }
}

/// Hands out consecutive, 64-byte aligned pieces of an arena. Layouts are written once as a
/// function of a `take` closure and run twice: with offsets to measure the arena, then with
/// pointers into it, so the measurement and the carving cannot disagree.
struct ArenaCursor {
    private(set) var used = 0

    /// Offset of the next `count` floats.
    mutating func take(_ count: Int) -> Int {
        defer { used += (count + 15) / 16 * 16 }
        return used
    }
}
