import ArgumentParser
import Foundation
import SingleCell

/// `c2s check-hdf5 FILE` (hidden): the child process of `IsolatedHDF5Check`. Walks the file
/// (`HDF5Probe.walk`) under an address-space limit and exits 0 when libhdf5 read all of it, 1
/// with one error line when libhdf5 reported damage. A crash or a hang here is what the parent
/// is there to catch.
struct CheckHDF5Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-hdf5", abstract: "Read every structure of an HDF5 file (run by c2s itself).", shouldDisplay: false)

    @Argument(help: "An .h5ad or 10x .h5 file.")
    var file: String

    @Option(help: "Address-space limit in bytes.")
    var memoryLimit: UInt64 = 2 << 30

    func run() throws {
        var limit = rlimit(rlim_cur: rlim_t(memoryLimit), rlim_max: rlim_t(memoryLimit))
        setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        // A crash here is reported by the parent: no core file for it.
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(Int32(RLIMIT_CORE.rawValue), &noCore)
        try CLIErrors.run { try HDF5Probe.walk(file) }
    }
}
