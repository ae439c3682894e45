import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder built under a temporary name beside its destination (`.NAME.tmp-PID`) and renamed
/// into place by `commit(replacing:)`, so a folder that exists under its final name is always
/// complete. Dropping it without committing removes the temporary folder. Every c2s output
/// folder built whole goes through it (checkpoints, merged models, `AtomicOutput`'s folders);
/// files written whole go through `AtomicFile`.
///
/// Each caller says how a failure reads (`Failure`) and whether an existing destination may be
/// replaced: only the caller knows whether what is there is its own earlier output.
public final class AtomicFolder {
    /// The step that failed.
    public enum Step: Sendable {
        /// Creating the temporary folder (`path` is the temporary folder).
        case create
        /// Moving the existing destination aside to replace it (`path` is the destination).
        case replace
        /// Renaming the finished folder into place (`path` is the destination).
        case rename
    }

    /// Makes the error for a failed `step` on `path`, with the system's `reason`.
    public typealias Failure = @Sendable (_ step: Step, _ path: String, _ reason: String) -> any Error

    public let destination: String
    /// Where the caller writes the folder's contents.
    public let temporary: String
    private let failure: Failure
    private var done = false

    /// Creates the temporary folder beside `destination` (a leftover of this process's own of
    /// that name is removed first; missing parent folders are created).
    public init(_ destination: String, failure: @escaping Failure) throws {
        self.destination = destination
        self.failure = failure
        temporary = try Self.createTemporary(for: destination, failure: failure)
    }

    /// Renames the finished folder into place. With `replacing`, an existing destination is
    /// moved aside first and removed once the new folder is in place; without it, `rename(2)`
    /// decides (it replaces only an empty folder). On failure the temporary folder is removed.
    public func commit(replacing: Bool) throws {
        defer { discard() }
        try Self.moveIntoPlace(temporary, destination, replacing: replacing, failure: failure)
        done = true
    }

    /// Removes the temporary folder (nothing once committed).
    public func discard() {
        guard !done else { return }
        try? FileManager.default.removeItem(atPath: temporary)
        done = true
    }

    deinit { discard() }

    /// Builds `destination` whole: creates the temporary folder, lets `fill` write into it (it
    /// is given the temporary folder's path), renames it into place; on any error the
    /// temporary folder is removed and the error passed on.
    public static func write(_ destination: String, replacing: Bool, failure: @escaping Failure,
                             fill: (_ folder: String) throws -> Void) throws {
        let folder = try AtomicFolder(destination, failure: failure)
        try fill(folder.temporary)
        try folder.commit(replacing: replacing)
    }

    /// The temporary name of an output `destination` under construction by this process:
    /// `.NAME.tmp-PID` in the same folder (`rename(2)` is atomic only within one file system).
    public static func temporaryPath(for destination: String) -> String {
        let url = URL(fileURLWithPath: destination)
        return url.deletingLastPathComponent().appendingPathComponent(temporaryPrefix(for: destination) + "\(getpid())").path
    }

    /// `.NAME.tmp-`: what every process's temporary of `destination` starts with.
    public static func temporaryPrefix(for destination: String) -> String {
        "." + URL(fileURLWithPath: destination).lastPathComponent + ".tmp-"
    }

    /// Creates the (empty) temporary folder of `destination` and returns its path; a leftover
    /// of this process's own of that name is removed first, missing parent folders are created.
    public static func createTemporary(for destination: String, failure: Failure) throws -> String {
        let temporary = temporaryPath(for: destination)
        let manager = FileManager.default
        try? manager.removeItem(atPath: temporary)
        do {
            try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        } catch {
            throw failure(.create, temporary, error.localizedDescription)
        }
        return temporary
    }

    /// Renames the finished `temporary` (a folder or a file) to `destination`. With
    /// `replacing`, an existing destination is first moved aside (to `temporary` + `.old`) and
    /// removed once the new one is in place; if the rename fails, it is put back. On a failed
    /// rename `temporary` is removed.
    public static func moveIntoPlace(_ temporary: String, _ destination: String, replacing: Bool, failure: Failure) throws {
        let manager = FileManager.default
        var aside: String?
        if replacing, manager.fileExists(atPath: destination) {
            let old = temporary + ".old"
            try? manager.removeItem(atPath: old)
            do { try manager.moveItem(atPath: destination, toPath: old) } catch {
                try? manager.removeItem(atPath: temporary)
                throw failure(.replace, destination, error.localizedDescription)
            }
            aside = old
        }
        guard rename(temporary, destination) == 0 else {
            let reason = errnoDescription(errno)
            try? manager.removeItem(atPath: temporary)
            if let aside { _ = rename(aside, destination) }
            throw failure(.rename, destination, reason)
        }
        if let aside { try? manager.removeItem(atPath: aside) }
    }
}
