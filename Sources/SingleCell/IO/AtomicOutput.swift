import Foundation
import Mechanics

/// A file or folder written under a temporary name next to its destination and renamed into
/// place only when complete, so an interrupted or failed run never leaves a half-written
/// output that looks whole.
public final class AtomicOutput {
    /// Where the output will end up.
    public let destination: String
    /// Where it is being written now.
    public let temporary: String
    public let isFolder: Bool
    private var done = false

    /// Prepares a temporary path. Fails if the destination exists and `overwrite` is false, or
    /// if its parent folder does not exist; and, so that nothing a user owns is ever replaced,
    /// if the destination is one of `inputs` or a folder holding one, or (with `overwrite`) an
    /// existing non-empty folder that `isOwnOutput` does not recognise as c2s's earlier output.
    public init(_ destination: String, folder: Bool, overwrite: Bool, inputs: [String] = [],
                isOwnOutput: ((String) -> Bool)? = nil) throws {
        let parent = URL(fileURLWithPath: destination).deletingLastPathComponent().path
        try Self.checkFolderExists(parent, of: destination)
        var isDir: ObjCBool = false
        try Self.checkNotAnInput(destination, inputs: inputs)
        if FileManager.default.fileExists(atPath: destination) && !overwrite {
            throw FileError(destination, "already exists; pass --overwrite to replace it")
        }
        if folder, let isOwnOutput, FileManager.default.fileExists(atPath: destination, isDirectory: &isDir) {
            let empty = isDir.boolValue && ((try? FileManager.default.contentsOfDirectory(atPath: destination))?.isEmpty ?? false)
            guard empty || (isDir.boolValue && isOwnOutput(destination)) else {
                throw FileError(destination, "exists and is not an earlier output of this command; --overwrite only replaces c2s's own output: choose another output, or remove it yourself")
            }
        }
        self.destination = destination
        self.isFolder = folder
        let prefix = AtomicFolder.temporaryPrefix(for: destination)
        // The temporary output exists from the start (an empty file for a file output; its
        // writer truncates it): it is also the run's claim on the destination.
        if folder {
            temporary = try AtomicFolder.createTemporary(for: destination, failure: Self.failure(destination))
        } else {
            temporary = AtomicFolder.temporaryPath(for: destination)
            try? FileManager.default.removeItem(atPath: temporary)
            guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
                throw FileError(destination, "cannot create a file beside it (\(String(cString: strerror(errno))))")
            }
        }
        do { try Self.clearClaims(in: parent, prefix: prefix, of: destination, by: "c2s run") } catch {
            cancel()
            throw error
        }
    }

    /// Throws when `parent`, the folder `destination` goes in, does not exist.
    public static func checkFolderExists(_ parent: String, of destination: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
            throw FileError(destination, "the folder \(parent) does not exist")
        }
    }

    /// Other processes' claims on `destination` (entries of `parent` named `prefix` + a process
    /// id): an interrupted run's (its process is gone) are removed; a running one's means two
    /// runs write the same output, and this one stops with an error naming that `run`.
    public static func clearClaims(in parent: String, prefix: String, of destination: String, by run: String) throws {
        for (name, pid) in temporaries(in: parent, prefix: prefix) where pid != getpid() {
            if isRunning(pid) {
                throw FileError(destination, "another \(run) (process \(pid)) is writing this output now; wait for it to finish or choose another output")
            }
            try? FileManager.default.removeItem(atPath: parent + "/" + name)
        }
    }

    /// Entries of `folder` named `prefix` + a process id (optionally + `.old`), with that id.
    public static func temporaries(in folder: String, prefix: String) -> [(name: String, pid: Int32)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap { name in
            guard name.hasPrefix(prefix) else { return nil }
            var rest = name.dropFirst(prefix.count)
            if rest.hasSuffix(".old") { rest = rest.dropLast(4) }
            guard let pid = Int32(rest), pid > 0 else { return nil }
            return (name, pid)
        }
    }

    /// Whether a process with this id exists.
    public static func isRunning(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Throws when `destination` is one of `inputs` or a folder holding one of them: writing
    /// there would replace what the user owns.
    public static func checkNotAnInput(_ destination: String, inputs: [String]) throws {
        let out = URL(fileURLWithPath: destination).standardizedFileURL.resolvingSymlinksInPath().path
        for input in inputs {
            let path = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
            if path == out || path.hasPrefix(out.hasSuffix("/") ? out : out + "/") {
                throw FileError(destination, path == out ? "is the input \(input); choose another output"
                                                         : "holds the input \(input); choose another output")
            }
        }
    }

    /// Path of a file inside a folder output, at its temporary location.
    public func path(_ name: String) -> String { temporary + "/" + name }

    /// Moves the finished output into place, replacing an older one.
    public func commit() throws {
        defer { cancel() }
        try AtomicFolder.moveIntoPlace(temporary, destination, replacing: true, failure: Self.failure(destination))
        done = true
    }

    /// How a failed step of `AtomicFolder` reads for the output `destination` (a file or a
    /// folder): every error names the destination.
    static func failure(_ destination: String) -> AtomicFolder.Failure {
        { step, _, reason in
            switch step {
            case .create: FileError(destination, "cannot create output folder (\(reason))")
            case .replace: FileError(destination, "cannot replace the existing output (\(reason))")
            case .rename: FileError(destination, "cannot move the finished output into place (\(reason))")
            }
        }
    }

    /// Removes the temporary output.
    public func cancel() {
        guard !done else { return }
        try? FileManager.default.removeItem(atPath: temporary)
        done = true
    }

    deinit { cancel() }
}

/// A buffered binary file writer (stdio underneath) with errors that name the file.
public final class BufferedFileWriter {
    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var closed = false

    public init(_ path: String, displayPath: String? = nil) throws {
        self.path = displayPath ?? path
        guard let f = fopen(path, "wb") else {
            throw FileError(displayPath ?? path, "cannot create file (\(String(cString: strerror(errno))))")
        }
        file = f
        setvbuf(f, nil, _IOFBF, 1 << 22)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        guard fwrite(bytes.baseAddress, 1, bytes.count, file) == bytes.count else {
            throw FileError(path, "write failed (\(String(cString: strerror(errno))); disk full?)")
        }
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    public func close() throws {
        guard !closed else { return }
        closed = true
        guard fclose(file) == 0 else { throw FileError(path, "write failed on close (disk full?)") }
    }

    deinit { if !closed { fclose(file) } }
}
