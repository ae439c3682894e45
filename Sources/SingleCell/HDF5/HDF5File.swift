import CHDF5
import Foundation

/// Thin, typed access to libhdf5: files, groups, datasets and attributes.
///
/// HDF5 in Debian's serial build is not thread-safe: use one file from one thread at a time and
/// hand the buffers read to worker threads.
public enum HDF5 {
    /// Opens the library once and turns off its own error printing (we report errors ourselves).
    static let ready: Bool = {
        // No closing of files left open at exit: after a write failed on a full disk, libhdf5's
        // exit handler crashed closing the file that could not be flushed (H5F__close_cb),
        // turning a clear error into a segfault. Writers close their files themselves; a file
        // still open at exit is a failed write whose temporary is removed anyway.
        H5dont_atexit()
        H5open()
        c2s_H5_silence_errors()
        return true
    }()

    static var defaultPlist: hid_t { c2s_H5P_DEFAULT() }

    /// Turns off libhdf5's error printing for the calling thread. Debian's libhdf5 keeps one
    /// error stack per thread, so a writer thread (reconstruct's) printed pages of HDF5-DIAG
    /// on a full disk before c2s's own one-line error.
    static func silenceThisThread() { c2s_H5_silence_errors() }

    /// Whether `path` starts with the HDF5 signature.
    public static func isHDF5(_ path: String) -> Bool {
        _ = ready
        return H5Fis_hdf5(path) > 0
    }
}

/// What an HDF5 link points at.
public enum H5NodeKind: Equatable { case group, dataset, other }

/// The element class of a dataset or attribute, as far as c2s cares.
public enum H5ElementClass: Equatable {
    case integer(signed: Bool, bytes: Int)
    case float(bytes: Int)
    case string(variable: Bool)
    case boolEnum
    case reference
    case other
}

/// An open HDF5 file.
public final class H5File: @unchecked Sendable {
    public let path: String
    let id: hid_t

    /// Opens an existing file read-only. In the command line the file is first checked in a
    /// child process (`HDF5Probe`), so that a corrupt file is an error instead of a crash or a
    /// hang inside libhdf5; `checked` says that this is that child, or that the check is done.
    public init(readingAt path: String, checked: Bool = false) throws {
        _ = HDF5.ready
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw FileError(path, "no such file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FileError(path, "file is not readable (permission denied)")
        }
        guard H5Fis_hdf5(path) > 0 else {
            throw FileError(path, "not an HDF5 file (no HDF5 signature); expected .h5ad or 10x .h5")
        }
        if !checked { try HDF5Probe.checkOnce(path) }
        let id = H5Fopen(path, c2s_H5F_ACC_RDONLY(), HDF5.defaultPlist)
        guard id >= 0 else {
            throw FileError(path, "HDF5 file could not be opened (truncated or corrupt)")
        }
        self.id = id
    }

    /// Creates (or truncates) a file for writing.
    public init(creatingAt path: String) throws {
        _ = HDF5.ready
        self.path = path
        let id = H5Fcreate(path, c2s_H5F_ACC_TRUNC(), HDF5.defaultPlist, HDF5.defaultPlist)
        guard id >= 0 else { throw FileError(path, "cannot create HDF5 file") }
        self.id = id
    }

    deinit {
        HDF5.silenceThisThread()
        H5Fclose(id)
    }

    /// The root group `/`.
    public func root() throws -> H5Group { try H5Group(file: self, path: "/") }
}

/// An open group.
public final class H5Group: @unchecked Sendable {
    public let file: H5File
    public let path: String
    let id: hid_t

    init(file: H5File, path: String) throws {
        self.file = file
        self.path = path
        let id = H5Gopen2(file.id, path, HDF5.defaultPlist)
        guard id >= 0 else { throw FileError(file.path, "cannot open group \(path) (corrupt file?)") }
        self.id = id
    }

    init(file: H5File, path: String, creating: Bool) throws {
        self.file = file
        self.path = path
        let id = H5Gcreate2(file.id, path, HDF5.defaultPlist, HDF5.defaultPlist, HDF5.defaultPlist)
        guard id >= 0 else { throw FileError(file.path, "cannot create group \(path)") }
        self.id = id
    }

    deinit { H5Gclose(id) }

    func child(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    /// What `name` is inside this group, or nil when there is no such link.
    public func kind(of name: String) -> H5NodeKind? {
        guard H5Lexists(id, name, HDF5.defaultPlist) > 0 else { return nil }
        var info = H5O_info_t()
        guard H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), HDF5.defaultPlist) >= 0 else { return nil }
        switch info.type {
        case H5O_TYPE_GROUP: return .group
        case H5O_TYPE_DATASET: return .dataset
        default: return .other
        }
    }

    public func contains(_ name: String) -> Bool { kind(of: name) != nil }

    public func group(_ name: String) throws -> H5Group {
        guard kind(of: name) == .group else {
            throw FileError(file.path, "no group '\(child(name))'")
        }
        return try H5Group(file: file, path: child(name))
    }

    public func dataset(_ name: String) throws -> H5Dataset {
        guard kind(of: name) == .dataset else {
            throw FileError(file.path, "no dataset '\(child(name))'")
        }
        return try H5Dataset(file: file, path: child(name))
    }

    /// Names of the links in this group, in creation or name order as HDF5 gives them.
    public func memberNames() -> [String] {
        var names: [String] = []
        var info = H5G_info_t()
        guard H5Gget_info(id, &info) >= 0 else { return [] }
        for i in 0..<info.nlinks {
            let size = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, HDF5.defaultPlist)
            guard size > 0 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(size) + 1)
            H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, Int(size) + 1, HDF5.defaultPlist)
            names.append(String(decoding: buffer.prefix(Int(size)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    public var attributes: H5Attributes { H5Attributes(objectID: id, file: file, objectPath: path, owner: self) }

    // MARK: writing

    public func createGroup(_ name: String) throws -> H5Group {
        try H5Group(file: file, path: child(name), creating: true)
    }
}
