import Mechanics

/// Why a data-parallel run could not start or went wrong in MPI.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// Started by an MPI launcher, but Open MPI's library cannot be used.
    case noMPI(String)
    /// An MPI call failed.
    case mpi(String)

    public var description: String {
        switch self {
        case .noMPI(let why): return "started as an MPI job, but \(why)"
        case .mpi(let why): return "MPI: \(why)"
        }
    }
}

extension DistributedError: C2SError {
    public var exitCode: Int32 { 1 }
}
