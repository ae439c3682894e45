import Foundation
import SingleCell

/// Runs `c2s check-hdf5 FILE` in a child process before the command reads an HDF5 file, so that
/// libhdf5 meeting a corrupt or hostile file (a segfault, an endless loop, a huge allocation: all
/// seen with one flipped byte) ends the child instead of c2s: the command then fails with one
/// line naming the file, before it has written anything.
///
/// Cost: one process start and a second read of the file's metadata and strings (not of the
/// bulk matrix values); docs/RELIABILITY.md has the measured figure.
enum IsolatedHDF5Check {
    /// Seconds the walk may take: generous for a large real file (strings of millions of cells),
    /// short enough that a hang is reported rather than waited out.
    static func timeLimit(fileBytes: Int) -> Double { 10 + Double(fileBytes) / Double(16 << 20) }

    /// Address space for the walk: enough for the strings of any real file, bounded for a
    /// file that declares billions of them.
    static func memoryLimit(fileBytes: Int) -> UInt64 { max(2 << 30, 8 * UInt64(fileBytes)) }

    static func run(_ path: String) throws {
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? 0
        let process = Process()
        process.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                                                     ?? CommandLine.arguments[0])
        process.arguments = ["check-hdf5", path, "--memory-limit", String(memoryLimit(fileBytes: bytes))]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do { try process.run() } catch {
            // Without the check the file is still read, as in library use; only the protection
            // against crashing inside libhdf5 is lost.
            return
        }
        final class Box: @unchecked Sendable { var data = Data() }
        let output = Box()
        let reader = DispatchQueue(label: "c2s.check-hdf5.stderr")
        let handle = errors.fileHandleForReading
        reader.async { output.data = handle.readDataToEndOfFile() }
        let limit = timeLimit(fileBytes: bytes)
        if finished.wait(timeout: .now() + limit) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            throw FileError(path, "libhdf5 did not finish reading the file's structure in \(Int(limit)) s (corrupt HDF5: a loop in its metadata?)")
        }
        reader.sync {}
        let text = String(decoding: output.data, as: UTF8.self)
        switch process.terminationReason {
        case .uncaughtSignal:
            throw FileError(path, "corrupt HDF5: libhdf5 crashed reading it (signal \(process.terminationStatus)); the file is damaged or not written by an HDF5 library")
        case .exit where process.terminationStatus == 0:
            return
        case .exit:
            // The child's own one-line error, already naming the file.
            let line = text.split(separator: "\n").first { $0.hasPrefix("error: ") }.map { String($0.dropFirst("error: ".count)) }
            let prefix = path + ": "
            if let line, line.hasPrefix(prefix) { throw FileError(path, String(line.dropFirst(prefix.count))) }
            throw FileError(path, "corrupt HDF5: \(line ?? "libhdf5 could not read it (exit status \(process.terminationStatus))")")
        @unknown default:
            throw FileError(path, "corrupt HDF5: libhdf5 could not read it")
        }
    }
}
