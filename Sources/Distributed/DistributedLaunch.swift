import Foundation
import Transformer

/// How this process was started: alone, or as one rank of an MPI job.
///
/// `mpirun`/`mpiexec` of Open MPI set `OMPI_COMM_WORLD_SIZE`; Slurm's `srun --mpi=pmix` sets
/// `PMIX_RANK` and `SLURM_NTASKS`. Without them c2s never touches MPI, so it runs on machines
/// without it; with them it opens Open MPI's library and joins the job.
public enum DistributedLaunch {
    /// Processes the launcher started (1 when not started by one).
    public static func launchedRanks(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let n = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init) { return n }
        if environment["PMIX_RANK"] != nil, let n = environment["SLURM_NTASKS"].flatMap(Int.init) { return n }
        if environment["PMI_RANK"] != nil, let n = environment["PMI_SIZE"].flatMap(Int.init) { return n }
        return 1
    }

    /// Ranks of the job on this machine (they share its cores).
    public static func localRanks(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init)
            ?? environment["SLURM_NTASKS_PER_NODE"].flatMap { Int($0.prefix { $0.isNumber }) }
            ?? 1
    }

    /// The group this process trains in: `SingleProcess` unless an MPI launcher started
    /// several ranks, then the MPI job (MPI initialised here, once).
    ///
    /// - Throws: `DistributedError.noMPI` when launched by MPI but Open MPI's library cannot
    ///   be opened (or the launcher is MPICH's, whose ABI is not spoken).
    public static func join(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any Communicator {
        guard launchedRanks(environment) > 1 else { return SingleProcess() }
        if environment["OMPI_COMM_WORLD_SIZE"] == nil && environment["PMIX_RANK"] == nil {
            throw DistributedError.noMPI("its launcher is not Open MPI's (PMI_RANK is set: MPICH or Intel MPI); c2s speaks Open MPI's ABI only")
        }
        return try MPICommunicator(library: OpenMPILibrary())
    }

    /// Worker threads per rank when `localRanks` ranks share this machine's cores (at least 1).
    public static func threadsPerRank(cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                                      environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        max(1, cores / max(1, localRanks(environment)))
    }
}
