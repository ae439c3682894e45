import Foundation
import Mechanics

/// Open MPI's C library, opened at run time with `dlopen` instead of linked at build time, so
/// that c2s builds and runs single-process on machines without MPI and joins an MPI job when
/// `mpirun` (or `srun --mpi=pmix`) starts it on machines with Open MPI.
///
/// Only Open MPI's ABI is spoken: its handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`, …) are
/// the addresses of exported objects (`ompi_mpi_comm_world`, …) and `MPI_IN_PLACE` is the
/// address 1. MPICH's handles are integers; a run under MPICH is refused with a clear error
/// (`DistributedLaunch`).
final class OpenMPILibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer
    typealias InitThreadFunction = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    typealias CommIntFunction = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias AllreduceFunction = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias BcastFunction = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias AbortFunction = @convention(c) (Handle, Int32) -> Int32
    typealias FinalizeFunction = @convention(c) () -> Int32
    typealias ErrorStringFunction = @convention(c) (Int32, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    /// The sonames tried, newest first (Open MPI 3.x-5.x all export `libmpi.so.40`).
    static let sonames = ["libmpi.so.40", "libmpi.so"]

    let path: String
    let initializeThread: InitThreadFunction
    let commRank: CommIntFunction
    let commSize: CommIntFunction
    let allreduce: AllreduceFunction
    let bcast: BcastFunction
    let abort: AbortFunction
    let finalize: FinalizeFunction
    let errorString: ErrorStringFunction
    let commWorld: Handle
    let float: Handle
    let double: Handle
    let byte: Handle
    let sum: Handle
    /// `MPI_THREAD_SERIALIZED` in Open MPI's mpi.h: any thread may call MPI, one at a time.
    let threadSerialized: Int32 = 2
    /// `MPI_IN_PLACE` in Open MPI's mpi.h.
    let inPlace = UnsafeRawPointer(bitPattern: 1)!

    /// Opens the library; throws when it is missing or is not Open MPI.
    init() throws {
        // RTLD_GLOBAL: Open MPI loads its components as plugins that look up libmpi's symbols.
        var opened: UnsafeMutableRawPointer?
        var openedName = ""
        var tried: [String] = []
        for name in Self.sonames {
            if let h = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { opened = h; openedName = name; break }
            tried.append(name + ": " + (dlerror().map { String(cString: $0) } ?? "not found"))
        }
        guard let library = opened else {
            throw DistributedError.noMPI("cannot open Open MPI's library (\(tried.joined(separator: "; "))); install it (Debian/Ubuntu: apt install openmpi-bin) or run without mpirun")
        }
        path = openedName
        func symbol<T>(_ name: String, as: T.Type) throws -> T {
            guard let p = dlsym(library, name) else {
                throw DistributedError.noMPI("\(Self.sonames[0]) has no symbol \(name): only Open MPI is supported")
            }
            return unsafeBitCast(p, to: T.self)
        }
        func object(_ name: String) throws -> Handle {
            guard let p = dlsym(library, name) else {
                throw DistributedError.noMPI("the MPI library has no \(name): only Open MPI is supported (MPICH and Intel MPI are not)")
            }
            return p
        }
        initializeThread = try symbol("MPI_Init_thread", as: InitThreadFunction.self)
        commRank = try symbol("MPI_Comm_rank", as: CommIntFunction.self)
        commSize = try symbol("MPI_Comm_size", as: CommIntFunction.self)
        allreduce = try symbol("MPI_Allreduce", as: AllreduceFunction.self)
        bcast = try symbol("MPI_Bcast", as: BcastFunction.self)
        abort = try symbol("MPI_Abort", as: AbortFunction.self)
        finalize = try symbol("MPI_Finalize", as: FinalizeFunction.self)
        errorString = try symbol("MPI_Error_string", as: ErrorStringFunction.self)
        commWorld = try object("ompi_mpi_comm_world")
        float = try object("ompi_mpi_float")
        double = try object("ompi_mpi_double")
        byte = try object("ompi_mpi_byte")
        sum = try object("ompi_mpi_op_sum")
    }

    /// Throws `DistributedError.mpi` naming `call` when `code` is not `MPI_SUCCESS` (0).
    func check(_ code: Int32, _ call: String) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        _ = errorString(code, &text, &length)
        let message = String(decoding: text.prefix(Int(max(0, min(length, 511)))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw DistributedError.mpi("\(call) failed: \(message) (code \(code))")
    }
}
