/// The processes of one data-parallel training run and the collective operations the trainer
/// needs from them: every rank runs the same program on its own shard of each batch, and the
/// sums below make the ranks agree on gradients, losses and counts.
///
/// The trainer only ever calls these from one thread, in the same order on every rank (a
/// collective that one rank skips would wait forever). `SingleProcess` is the group of one;
/// the `Distributed` module joins an MPI job.
public protocol Communicator: AnyObject, Sendable {
    /// This process's rank, 0..<size. Rank 0 writes outputs.
    var rank: Int { get }
    /// Processes in the run.
    var size: Int { get }

    /// Replaces `values[0..<count]` on every rank with the element-wise sum over all ranks (the
    /// same result on every rank).
    func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws

    /// The same for doubles (losses and counts, exact in a double up to 2⁵³).
    func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws

    /// Replaces `bytes[0..<count]` on every rank with rank `root`'s.
    func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) throws

    /// Whether collectives may be called from a thread other than the one that started the
    /// group (one thread at a time: MPI's `MPI_THREAD_SERIALIZED`), which overlapping the
    /// gradient's all-reduce with the backward pass needs.
    var allowsCollectivesFromAnotherThread: Bool { get }
}

extension Communicator {
    public var allowsCollectivesFromAnotherThread: Bool { false }

    /// Whether this is rank 0, the one that writes outputs and prints.
    public var isLeader: Bool { rank == 0 }

    /// Replaces `bytes[0..<count]` on every rank with rank 0's.
    public func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int) throws {
        try broadcast(bytes, count: count, root: 0)
    }

    /// Rank `root`'s `bytes` on every rank (the others pass anything: their length is sent
    /// first), in broadcasts of at most 1 GiB.
    public func broadcast(bytes: [UInt8], root: Int) throws -> [UInt8] {
        guard size > 1 else { return bytes }
        var length = UInt64(rank == root ? bytes.count : 0)
        try withUnsafeMutableBytes(of: &length) { try broadcast($0.baseAddress!, count: 8, root: root) }
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length))
        try result.withUnsafeMutableBytes { buffer in
            var start = 0
            while start < buffer.count {
                let n = min(1 << 30, buffer.count - start)
                try broadcast(buffer.baseAddress! + start, count: n, root: root)
                start += n
            }
        }
        return result
    }

    /// Sums a gradient over the ranks in buckets of `bucket` floats (16 MiB by default): an MPI
    /// library may allocate a temporary as large as each call's buffer, and a 410 M-parameter
    /// gradient in one call would double the gradient's memory.
    public func allReduceSum(gradients: UnsafeMutablePointer<Float>, count: Int, bucket: Int = 1 << 22) throws {
        guard size > 1 else { return }
        var start = 0
        while start < count {
            let n = min(bucket, count - start)
            try allReduceSum(gradients + start, count: n)
            start += n
        }
    }

    /// Sums an array of doubles over the ranks.
    public func allReduceSum(_ values: [Double]) throws -> [Double] {
        var v = values
        guard size > 1, !v.isEmpty else { return v }
        try v.withUnsafeMutableBufferPointer { try allReduceSum($0.baseAddress!, count: $0.count) }
        return v
    }

    /// Whether `digest` (say, of the parameters) is the same on every rank: each rank compares
    /// its own with rank 0's and the disagreements are counted.
    public func agree(on digest: UInt64) throws -> Bool {
        guard size > 1 else { return true }
        var leader = digest
        try withUnsafeMutableBytes(of: &leader) { try broadcast($0.baseAddress!, count: 8) }
        return try allReduceSum([leader == digest ? 0 : 1])[0] == 0
    }
}

/// The group of one process: every collective is the identity.
public final class SingleProcess: Communicator, Sendable {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {}
    public func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws {}
    public func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) throws {}
}
