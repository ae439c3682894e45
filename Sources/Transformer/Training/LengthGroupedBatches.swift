import Mechanics
/// The order in which one epoch visits the training examples, cut into micro-batches of
/// similar length: transformers' `LengthGroupedSampler` (`group_by_length=True`,
/// `get_length_grouped_indices`), with our own seeded generator instead of torch's.
///
/// 1. A seeded random permutation of all examples.
/// 2. Cut into "mega-batches" of `min(n / (4·batchSize), 50)` (at least 1) batches' worth.
/// 3. Each mega-batch sorted by length, longest first (stable), and cut into batches.
/// 4. The longest example overall is swapped to the front of the first batch, so the largest
///    activation buffers are allocated at the first step rather than surprising a late one.
///
/// Sequences are never padded here (batches are ragged), so grouping saves no padding. It is
/// not the default (`BatchOrder.random` is): with prompts of several tasks, whose lengths
/// differ by task, every grouped batch holds one task, the gradient swings from task to task,
/// and a model trained this way learned to ignore the label it should condition on (see
/// docs/SCIENCE.md). It remains for runs that want transformers' `group_by_length` order.
public enum LengthGroupedBatches {
    /// The micro-batches (lists of example indices) of epoch `epoch` for `lengths`: the same
    /// for the same seed, epoch and lengths on any machine.
    public static func batches(lengths: [Int], batchSize: Int, seed: UInt64, epoch: Int) -> [[Int]] {
        precondition(batchSize >= 1, "batch size must be at least 1")
        let n = lengths.count
        guard n > 0 else { return [] }
        let order = ShuffleGenerator.permutation(n, seed: seed, epoch: epoch)
        let multiple = max(1, min(n / (batchSize * 4), 50))
        let megaSize = multiple * batchSize
        var megabatches: [[[Int]]] = []
        var start = 0
        while start < n {
            var mega = Array(order[start..<min(n, start + megaSize)])
            // Swift's sort is not stable: order by length, then by position in the permutation,
            // as Python's stable `sorted(..., reverse=True)` does.
            let position = Dictionary(uniqueKeysWithValues: mega.enumerated().map { ($1, $0) })
            mega.sort { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : position[$0]! < position[$1]! }
            megabatches.append(stride(from: 0, to: mega.count, by: batchSize).map { Array(mega[$0..<min(mega.count, $0 + batchSize)]) })
            start += megaSize
        }
        // First mega-batch with the largest maximum (torch.argmax returns the first).
        var longest = 0
        for m in megabatches.indices where lengths[megabatches[m][0][0]] > lengths[megabatches[longest][0][0]] { longest = m }
        let first = megabatches[0][0][0]
        megabatches[0][0][0] = megabatches[longest][0][0]
        megabatches[longest][0][0] = first
        return megabatches.flatMap { $0 }
    }
}

/// The shuffling stream of the data order: c2s's one xoshiro256** (`Xoshiro256StarStar`),
/// seeded from (seed, stream) as training has always seeded it, so data orders and resumed runs
/// stay as they were (and scripts/diagnostics/torch_control.py replays them). Swift's
/// `shuffle(using:)` leaves its algorithm unspecified, so it could change between releases.
struct ShuffleGenerator {
    private var generator: Xoshiro256StarStar

    init(seed: UInt64, stream: UInt64) {
        generator = Xoshiro256StarStar(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in 0..<bound (Lemire's multiply-shift; the bias, below 2⁻⁴⁰ for any realistic
    /// bound, does not matter for shuffling).
    mutating func below(_ bound: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A seeded random permutation of 0..<n (Fisher-Yates, from the end), one per epoch.
    static func permutation(_ n: Int, seed: UInt64, epoch: Int) -> [Int] {
        var random = ShuffleGenerator(seed: seed, stream: UInt64(epoch))
        var order = Array(0..<n)
        var i = n - 1
        while i > 0 {
            let j = random.below(i + 1)
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}
