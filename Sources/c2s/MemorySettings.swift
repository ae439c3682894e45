import CMalloc

/// Keeps freed memory inside the process. The converter allocates and frees block-sized
/// buffers (tens of MB) for every block of cells; with glibc's defaults each of those is a
/// fresh mmap whose pages the kernel must zero again, which cost more system time than the
/// work itself.
enum MemorySettings {
    static func apply() {
        // 32 MiB is the largest threshold glibc accepts.
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
    }
}
