import Foundation
import Mechanics

/// Reads an `ExpressionSource` block by block, reading the next block on a background thread
/// while the caller processes the current one, so that file reading and decompression overlap
/// with computation. The source is only ever touched from one thread at a time.
public struct BlockStream {
    public let source: ExpressionSource
    public let blockSize: Int

    public init(_ source: ExpressionSource, blockSize: Int = 4096) {
        self.source = source
        self.blockSize = max(1, blockSize)
    }

    /// Calls `body` with each block in order. `transform` runs on the reading thread right after
    /// a block is read (e.g. to remap columns), so it overlaps with `body` too.
    public func forEach(
        transform: ((CSRRows) throws -> CSRRows)? = nil,
        _ body: (CSRRows) throws -> Void
    ) throws {
        try forEach(transform: transform, alongside: { _ in () }) { block, _ in try body(block) }
    }

    /// Calls `body` with each block and what `alongside` read for the same rows (e.g. their
    /// obs), both read on the reading thread, so the source is never used from two threads.
    public func forEach<Extra>(
        transform: ((CSRRows) throws -> CSRRows)? = nil,
        alongside: @escaping (Range<Int>) throws -> Extra,
        _ body: (CSRRows, Extra) throws -> Void
    ) throws {
        let n = source.cellCount
        guard n > 0 else { return }
        let starts = Array(stride(from: 0, to: n, by: blockSize))
        let reader = DispatchQueue(label: "c2s.block-reader")
        let box = PrefetchBox<(CSRRows, Extra)>()
        let src = UncheckedSendable(source)
        let tf = UncheckedSendable(transform)
        let extra = UncheckedSendable(alongside)

        func schedule(_ k: Int) {
            let range = starts[k]..<min(n, starts[k] + blockSize)
            box.group.enter()
            reader.async {
                do {
                    var block = try src.value.readRows(range)
                    if let t = tf.value { block = try t(block) }
                    box.result = .success((block, try extra.value(range)))
                } catch {
                    box.result = .failure(error)
                }
                box.group.leave()
            }
        }

        schedule(0)
        for k in 0..<starts.count {
            box.group.wait()
            let result = box.result!
            box.result = nil
            let (block, more) = try result.get()
            if k + 1 < starts.count { schedule(k + 1) }
            try body(block, more)
        }
    }
}

private final class PrefetchBox<T>: @unchecked Sendable {
    let group = DispatchGroup()
    var result: Result<T, Error>?
}
