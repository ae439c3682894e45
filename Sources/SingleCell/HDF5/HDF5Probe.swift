import CHDF5
import Foundation

/// Reads everything in an HDF5 file that libhdf5 follows pointers through before c2s reads it
/// for real, so that a corrupt or hostile file cannot crash or hang c2s.
///
/// libhdf5 trusts the file: one flipped byte in an anndata-written h5ad (inside the global heap
/// that holds `obs/_index`'s strings) made it segfault or loop forever in `H5HG_read`, where
/// h5py's wrapper only raised. Checking every structure libhdf5 parses would mean re-implementing
/// the format, so instead the command line runs this walk in a child process of its own
/// (`isolatedCheck`, set by the `c2s` executable) under a time and memory limit: if the walk
/// crashes, hangs or runs out of memory, the child dies and the parent reports the file as
/// corrupt, in one line, having written nothing. When the walk finishes, the parent's own reads
/// follow the same structures and do not crash.
///
/// The walk visits every group, link and attribute (values read), every string dataset (read
/// whole: the variable-length strings live in the global heap), every numeric dataset's chunk
/// index (the B-tree c2s's reads descend) and small numeric datasets whole. The bulk numeric
/// data (X's values) is not read twice: damage there is caught by libhdf5's checksums and
/// decompression, or by c2s's own checks of the values.
public enum HDF5Probe {
    /// Runs `walk` on a file in isolation, throwing a `FileError` when the file is unreadable.
    /// Nil in library use (tests): files are then read without the check.
    nonisolated(unsafe) public static var isolatedCheck: (@Sendable (String) throws -> Void)?

    /// Numeric datasets up to this many elements are read whole by the walk.
    static let smallNumericElements = 1 << 20

    private static let lock = NSLock()
    nonisolated(unsafe) private static var checked = Set<String>()

    /// Checks `path` in isolation once per process (a command may open one file several times).
    static func checkOnce(_ path: String) throws {
        guard let isolatedCheck else { return }
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        lock.lock()
        let seen = checked.contains(key)
        lock.unlock()
        if seen { return }
        try isolatedCheck(path)
        lock.lock()
        checked.insert(key)
        lock.unlock()
    }

    /// Visits everything in the file (see the type's documentation); throws a `FileError` for
    /// damage libhdf5 reports. Run in the child process.
    public static func walk(_ path: String) throws {
        let file = try H5File(readingAt: path, checked: true)
        try walk(group: try file.root(), depth: 0)
    }

    /// Groups nest a handful of levels in h5ad and 10x files; a deeper chain is a loop of links.
    static let deepestGroup = 64

    private static func walk(group: H5Group, depth: Int) throws {
        guard depth < deepestGroup else {
            throw FileError(group.file.path, "groups nest more than \(deepestGroup) deep at \(group.path) (a loop of links in a corrupt file?)")
        }
        var info = H5G_info_t()
        guard H5Gget_info(group.id, &info) >= 0 else { throw FileError(group.file.path, "cannot list group \(group.path) (corrupt file?)") }
        try walkAttributes(of: group.id, path: group.path, file: group.file)
        for name in group.memberNames() {
            switch group.kind(of: name) {
            case .group?: try walk(group: try group.group(name), depth: depth + 1)
            case .dataset?: try walk(dataset: try group.dataset(name))
            default: continue
            }
        }
    }

    private static func walk(dataset: H5Dataset) throws {
        try walkAttributes(of: dataset.id, path: dataset.path, file: dataset.file)
        // A null dataspace (anndata's legacy `raw` placeholder) holds nothing to read.
        let space = H5Dget_space(dataset.id)
        let points = H5Sget_simple_extent_npoints(space)
        H5Sclose(space)
        guard points > 0 else { return }
        switch dataset.elementClass {
        case .string:
            _ = try dataset.readStrings()
        case .integer, .float, .boolEnum:
            try checkDeclaredSize(dataset, storedElements: try walkChunks(dataset))
            if let count = dataset.checkedCount, count <= smallNumericElements {
                _ = try dataset.read(Double.self)
            }
        default:
            return
        }
    }

    /// A numeric dataset must hold what its shape declares: c2s allocates buffers by the shape,
    /// and a flipped byte in a dataspace once declared billions of elements (14 GB in 15 s).
    /// Writers allocate every chunk of an h5ad or 10x dataset, so the elements stored (chunks
    /// times elements per chunk, or the contiguous bytes) bound the elements declared. Reads of
    /// storage never written would only give fill values anyway.
    private static func checkDeclaredSize(_ dataset: H5Dataset, storedElements: Int?) throws {
        guard let declared = dataset.checkedCount else {
            throw FileError(dataset.file.path, "\(dataset.path) declares the shape \(dataset.shape), more elements than can exist (corrupt file?)")
        }
        let tid = H5Dget_type(dataset.id)
        defer { H5Tclose(tid) }
        let elementBytes = max(1, H5Tget_size(tid))
        let stored = storedElements ?? Int(H5Dget_storage_size(dataset.id)) / elementBytes
        // Tiny datasets may be compact or left to their fill value (h5py writes empty ones so).
        guard declared <= max(stored, 4096) else {
            throw FileError(dataset.file.path, "\(dataset.path) declares \(declared) elements but its storage holds \(stored) (corrupt file?)")
        }
    }

    /// Descends the chunk index of a chunked dataset (libhdf5 follows it on every read);
    /// returns the elements its allocated chunks hold, nil when it is not chunked.
    private static func walkChunks(_ dataset: H5Dataset) throws -> Int? {
        let plist = H5Dget_create_plist(dataset.id)
        defer { H5Pclose(plist) }
        guard H5Pget_layout(plist) == H5D_CHUNKED else { return nil }
        let rank = max(1, dataset.shape.count)
        var chunkDims = [hsize_t](repeating: 0, count: rank)
        guard H5Pget_chunk(plist, Int32(rank), &chunkDims) >= 0 else {
            throw FileError(dataset.file.path, "cannot read the chunk shape of \(dataset.path) (corrupt file?)")
        }
        var perChunk = 1
        for d in chunkDims {
            let (product, overflow) = perChunk.multipliedReportingOverflow(by: Int(clamping: d))
            perChunk = overflow ? Int.max : product
        }
        let space = H5Dget_space(dataset.id)
        defer { H5Sclose(space) }
        var chunks: hsize_t = 0
        guard H5Dget_num_chunks(dataset.id, space, &chunks) >= 0 else {
            throw FileError(dataset.file.path, "cannot read the chunk index of \(dataset.path) (corrupt file?)")
        }
        for i in 0..<chunks {
            var size: hsize_t = 0, address: haddr_t = 0
            var mask: UInt32 = 0
            guard H5Dget_chunk_info(dataset.id, space, i, nil, &mask, &address, &size) >= 0 else {
                throw FileError(dataset.file.path, "cannot read chunk \(i) of \(dataset.path) (corrupt file?)")
            }
        }
        let (stored, overflow) = Int(chunks).multipliedReportingOverflow(by: perChunk)
        return overflow ? Int.max : stored
    }

    private static func walkAttributes(of object: hid_t, path: String, file: H5File) throws {
        var info = H5O_info_t()
        guard H5Oget_info2(object, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else {
            throw FileError(file.path, "cannot read the header of \(path) (corrupt file?)")
        }
        let attributes = H5Attributes(objectID: object, file: file, objectPath: path)
        for i in 0..<info.num_attrs {
            let size = H5Aget_name_by_idx(object, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, nil, 0, HDF5.defaultPlist)
            let nameSize = size >= 0 ? size : H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, HDF5.defaultPlist)
            guard nameSize >= 0 else { throw FileError(file.path, "cannot read attribute \(i) of \(path) (corrupt file?)") }
            var buffer = [CChar](repeating: 0, count: Int(nameSize) + 1)
            let order = size >= 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME
            H5Aget_name_by_idx(object, ".", order, H5_ITER_INC, i, &buffer, Int(nameSize) + 1, HDF5.defaultPlist)
            let name = String(decoding: buffer.prefix(Int(nameSize)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if attributes.strings(name) == nil { _ = attributes.integers(name) }
        }
    }
}
