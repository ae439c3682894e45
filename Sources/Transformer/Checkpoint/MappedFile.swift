import Mechanics
import Glibc

/// A whole file mapped read-only into memory, unmapped when the last reference goes away.
///
/// Mapping instead of reading means a multi-gigabyte checkpoint costs no copy and no heap: the
/// kernel pages bytes in as the converters touch them, and the pages are shared with the page
/// cache. MAP_PRIVATE with PROT_READ guarantees we can never write through to the file.
/// A file truncated by another process while mapped would raise SIGBUS on access; that is the
/// price of mapping, the same as for every mmap-based reader (the Rust library included).
final class MappedFile: @unchecked Sendable {
    // @unchecked: the mapping is immutable after init and only read, so sharing it is safe.
    let bytes: UnsafeRawBufferPointer
    let path: String

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CheckpointError.io(path: path, operation: "open", reason: errnoDescription(errno)) }
        defer { close(fd) }  // the mapping stays valid after the descriptor is closed
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw CheckpointError.io(path: path, operation: "stat", reason: errnoDescription(errno)) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.io(path: path, operation: "read", reason: "not a regular file")
        }
        let size = Int(status.st_size)
        if size == 0 {
            // mmap refuses length 0; an empty buffer lets the header check report the real problem.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw CheckpointError.io(path: path, operation: "map", reason: errnoDescription(errno))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// Gives the pages spanning `range` (byte offsets) back to the kernel: they stop counting in
    /// this process's resident memory, stay in the page cache, and are read in again if
    /// touched. Pages shared with a neighbouring range are dropped too; they only cost a page
    /// fault if read again. Advice only: a failure changes nothing but the memory figure.
    func release(_ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        let end = min(bytes.count, (range.upperBound + page - 1) / page * page)
        guard start < end else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
