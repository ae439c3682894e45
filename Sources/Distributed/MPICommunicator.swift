import Foundation
import Transformer

/// The ranks of an Open MPI job (`MPI_COMM_WORLD`) as a `Communicator`: sums with
/// `MPI_Allreduce(MPI_IN_PLACE, …, MPI_SUM)`, broadcasts with `MPI_Bcast`.
/// MPI is initialised with `MPI_THREAD_SERIALIZED`, so the trainer's communication thread may
/// call the collectives while the calling thread computes (never both at once).
///
/// MPI is initialised once per process, by `DistributedLaunch.join`, and finalised by
/// `finish()` after the last collective; `abandon(code:)` ends the whole job when one rank
/// fails, so the others do not wait forever in a collective it will never reach.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    let library: OpenMPILibrary
    public let rank: Int
    public let size: Int
    /// Whether the library granted `MPI_THREAD_SERIALIZED`, so the gradient's all-reduce can
    /// run on a communication thread during the backward pass.
    public let allowsCollectivesFromAnotherThread: Bool
    private var finished = false

    init(library: OpenMPILibrary) throws {
        self.library = library
        var provided: Int32 = 0
        try library.check(library.initializeThread(nil, nil, library.threadSerialized, &provided), "MPI_Init_thread")
        allowsCollectivesFromAnotherThread = provided >= library.threadSerialized
        var r: Int32 = 0, s: Int32 = 0
        try library.check(library.commRank(library.commWorld, &r), "MPI_Comm_rank")
        try library.check(library.commSize(library.commWorld, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
    }

    public func allReduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
        precondition(count <= Int(Int32.max), "one MPI call takes at most 2³¹ − 1 elements")
        try library.check(library.allreduce(library.inPlace, values, Int32(count), library.float, library.sum, library.commWorld), "MPI_Allreduce")
    }

    public func allReduceSum(_ values: UnsafeMutablePointer<Double>, count: Int) throws {
        precondition(count <= Int(Int32.max), "one MPI call takes at most 2³¹ − 1 elements")
        try library.check(library.allreduce(library.inPlace, values, Int32(count), library.double, library.sum, library.commWorld), "MPI_Allreduce")
    }

    public func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) throws {
        precondition(count <= Int(Int32.max), "one MPI call takes at most 2³¹ − 1 bytes")
        try library.check(library.bcast(bytes, Int32(count), library.byte, Int32(root), library.commWorld), "MPI_Bcast")
    }

    /// `MPI_Finalize`: every rank calls it after its last collective.
    public func finish() {
        guard !finished else { return }
        finished = true
        _ = library.finalize()
    }

    /// `MPI_Abort`: ends every rank of the job with `code` (does not return).
    public func abandon(code: Int32) -> Never {
        _ = library.abort(library.commWorld, code)
        exit(code)
    }
}
