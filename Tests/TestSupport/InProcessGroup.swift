import Foundation
import Transformer

/// Ranks of a data-parallel run as threads of one process, for tests of the collectives'
/// users without MPI (the real thing runs under `mpirun` in `DataParallelCLITests`).
public enum ThreadRanks {
    /// Runs `body(rank communicator)` on `ranks` threads at once and returns each rank's result.
    public static func onRanks<T>(_ ranks: Int, otherThreads: Bool = false, _ body: @escaping @Sendable (any Communicator) throws -> T) throws -> [T] {
        let group = InProcessGroup(size: ranks)
        let results = RankResults<T>(ranks)
        let done = DispatchGroup()
        // Threads, not concurrentPerform: a rank blocks in a collective until every other has
        // arrived, so every rank needs its own thread whatever the core count.
        for r in 0..<ranks {
            done.enter()
            let thread = Thread {
                results.values[r] = Result { try body(group.rank(r, otherThreads: otherThreads)) }
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return try results.values.map { try $0!.get() }
    }
}

/// Each rank's outcome, written by its own thread.
final class RankResults<T>: @unchecked Sendable {
    var values: [Result<T, any Error>?]
    init(_ ranks: Int) { values = Array(repeating: nil, count: ranks) }
}

/// Ranks as threads of one process: each collective deposits every rank's values, waits until
/// all have, and sums them in rank order (so every rank gets the same bits, as MPI promises).
public final class InProcessGroup: @unchecked Sendable {
    public let size: Int
    private let condition = NSCondition()
    private var arrived = 0, generation = 0
    private var slots: [Any?]

    public init(size: Int) {
        self.size = size
        slots = Array(repeating: nil, count: size)
    }

    /// `otherThreads`: whether members let the trainer call collectives from its
    /// communication thread (as MPI does with `MPI_THREAD_SERIALIZED`).
    public func rank(_ r: Int, otherThreads: Bool = false) -> any Communicator { Member(group: self, rank: r, otherThreads: otherThreads) }

    private func barrier() {
        condition.lock()
        let g = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while g == generation { condition.wait() }
        }
        condition.unlock()
    }

    func sum<T: AdditiveArithmetic>(_ values: UnsafeMutablePointer<T>, count: Int, rank: Int) {
        condition.lock()
        slots[rank] = Array(UnsafeBufferPointer(start: values, count: count))
        condition.unlock()
        barrier()
        condition.lock()
        let all = slots.map { $0 as! [T] }
        condition.unlock()
        for i in 0..<count {
            var s = all[0][i]
            for r in 1..<size { s += all[r][i] }
            values[i] = s
        }
        barrier()
    }

    func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, rank: Int, root: Int) {
        if rank == root {
            condition.lock()
            slots[root] = Array(UnsafeRawBufferPointer(start: bytes, count: count))
            condition.unlock()
        }
        barrier()
        if rank != root {
            condition.lock()
            let leader = slots[root] as! [UInt8]
            condition.unlock()
            leader.withUnsafeBytes { bytes.copyMemory(from: $0.baseAddress!, byteCount: count) }
        }
        barrier()
    }

    final class Member: Communicator, @unchecked Sendable {
        let group: InProcessGroup
        let rank: Int
        var size: Int { group.size }
        let allowsCollectivesFromAnotherThread: Bool
        init(group: InProcessGroup, rank: Int, otherThreads: Bool) {
            self.group = group
            self.rank = rank
            allowsCollectivesFromAnotherThread = otherThreads
        }
        func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws { group.sum(values, count: count, rank: rank) }
        func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws { group.sum(values, count: count, rank: rank) }
        func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) throws { group.broadcast(bytes, count: count, rank: rank, root: root) }
    }
}
