import CZlib
import Foundation

/// Reads a text file line by line, decompressing it on the fly when it is gzip-compressed.
///
/// Compression is recognised by the gzip magic bytes (1f 8b), not by the file name, so a
/// `features.tsv` that is secretly gzipped (or a `.gz` that is not) still reads correctly.
/// Lines come back as byte slices into one large internal buffer, so reading a file costs no
/// allocation per line; turn a slice into a `String` only where the text is kept.
public final class GzipLineReader {
    /// The file as the caller named it (used in error messages).
    public let path: String
    /// Whether the file is gzip-compressed.
    public let isCompressed: Bool
    /// 1-based number of the line most recently returned by `nextLine()` (0 before the first).
    public private(set) var lineNumber = 0

    private var gz: gzFile?
    private var fd: Int32 = -1
    private var buffer: UnsafeMutablePointer<UInt8>
    /// Usable bytes in `buffer`; one more byte is always allocated for a NUL sentinel.
    private var capacity: Int
    /// Unread data is `buffer[head..<tail]`; `scanned` marks how far a newline has been searched.
    private var head = 0, tail = 0, scanned = 0
    private var atEOF = false

    /// Opens `path` for reading. Throws a `FileError` when the file is missing, is a folder or
    /// cannot be read.
    public init(path: String, bufferSize: Int = 1 << 20) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(path, "no such file or directory")
        }
        if isDirectory.boolValue { throw FileError(path, "is a folder, expected a file") }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path, "cannot be opened (\(String(cString: strerror(errno))))") }
        var magic: (UInt8, UInt8) = (0, 0)
        let got = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        isCompressed = got == 2 && magic.0 == 0x1f && magic.1 == 0x8b
        if isCompressed {
            // gzdopen takes over the descriptor (gzclose closes it).
            guard let gz = gzdopen(fd, "rb") else {
                close(fd)
                throw FileError(path, "cannot be opened as gzip")
            }
            // A larger zlib input buffer than the 8 KiB default halves the number of reads.
            gzbuffer(gz, 1 << 18)
            self.gz = gz
        } else {
            self.fd = fd
        }
        capacity = max(bufferSize, 64)
        buffer = .allocate(capacity: capacity + 1)
    }

    deinit {
        if let gz { gzclose(gz) }
        if fd >= 0 { close(fd) }
        buffer.deallocate()
    }

    /// The next line without its line terminator (`\n` or `\r\n`), or nil at the end of the file.
    ///
    /// The slice stays valid until the next call. The byte just past it is always readable and
    /// is a line terminator or a NUL, so C parsers such as `strtof` stop at the end of the line.
    /// A UTF-8 byte-order mark at the very start of the file is skipped.
    public func nextLine() throws -> UnsafeBufferPointer<UInt8>? {
        while true {
            if scanned < tail, let nl = memchr(buffer + scanned, 0x0a, tail - scanned) {
                let end = nl.assumingMemoryBound(to: UInt8.self) - buffer
                let line = slice(head, end)
                head = end + 1
                scanned = head
                return line
            }
            scanned = tail
            if atEOF {
                guard head < tail else { return nil }
                // The last line has no newline: terminate it so parsers still find an end.
                buffer[tail] = 0
                let line = slice(head, tail)
                head = tail
                scanned = tail
                return line
            }
            try refill()
        }
    }

    private func slice(_ start: Int, _ end: Int) -> UnsafeBufferPointer<UInt8> {
        lineNumber += 1
        var start = start, end = end
        if end > start && buffer[end - 1] == 0x0d { end -= 1 }
        if lineNumber == 1, end - start >= 3, buffer[start] == 0xef, buffer[start + 1] == 0xbb, buffer[start + 2] == 0xbf {
            start += 3
        }
        return UnsafeBufferPointer(start: buffer + start, count: end - start)
    }

    /// Moves unread bytes to the front (growing the buffer for very long lines) and reads more.
    private func refill() throws {
        if head > 0 {
            let unread = tail - head
            if unread > 0 { memmove(buffer, buffer + head, unread) }
            tail = unread
            scanned -= head
            head = 0
        }
        if tail == capacity {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2 + 1)
            bigger.update(from: buffer, count: tail)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        let n = try read(into: buffer + tail, count: capacity - tail)
        if n == 0 { atEOF = true } else { tail += n }
    }

    /// Reads up to `count` bytes of the (decompressed) file as they are, with no line splitting;
    /// 0 at the end of the file. Use either this or `nextLine()` on one reader, not both.
    public func readBytes(into destination: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        try read(into: destination, count: count)
    }

    private func read(into destination: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        if let gz {
            let n = gzread(gz, destination, UInt32(min(count, 1 << 30)))
            var errnum: Int32 = Z_OK
            _ = gzerror(gz, &errnum)
            // gzread returns what it could decompress and records a truncated stream as
            // Z_BUF_ERROR ("unexpected end of file"), a damaged one as Z_DATA_ERROR (which
            // includes a wrong checksum). zlib's own wording means little to most users.
            if n < 0 || (n == 0 && errnum != Z_OK) {
                if errnum == Z_ERRNO {
                    throw FileError(path, "read error (\(String(cString: strerror(errno))))")
                }
                throw FileError(path, "corrupt or truncated gzip stream")
            }
            return Int(n)
        }
        while true {
            let n = Foundation.read(fd, destination, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw FileError(path, "read error (\(String(cString: strerror(errno))))")
        }
    }

    /// Every line of a (small) text file as strings, e.g. the barcodes of a 10x folder.
    public static func readLines(_ path: String) throws -> [String] {
        let reader = try GzipLineReader(path: path)
        var lines: [String] = []
        while let line = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        return lines
    }
}

/// Parsing numbers straight from the bytes of a line, without making a `String`.
enum TextNumbers {
    /// Exact powers of ten as `Float` (10^10 is the largest with an exact `Float` value).
    private static let powersOfTen: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

    /// Parses a non-negative decimal integer filling all of `start..<end`; nil when not one.
    @inline(__always)
    static func parseIndex(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int? {
        guard start < end, end - start <= 18 else { return nil }
        var p = start, value = 0
        while p < end {
            let d = Int(p.pointee) &- 48
            guard d >= 0 && d <= 9 else { return nil }
            value = value &* 10 &+ d
            p += 1
        }
        return value
    }

    /// Parses a number filling all of `start..<end` (the caller has trimmed spaces), or nil.
    ///
    /// Plain decimals with up to 7 significant digits (counts, and most normalised values
    /// written by R or pandas) are converted exactly here: both the integer mantissa and the
    /// power of ten are exact floats, so one IEEE division rounds correctly, as `strtof` does.
    /// Anything else (exponents, long mantissas, NaN, Inf) goes to `strtof`, which needs the
    /// byte after `end` to stop it: true for slices of `GzipLineReader` lines.
    @inline(__always)
    static func parseFloat(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Float? {
        guard start < end else { return nil }
        var p = start
        let negative = p.pointee == 45  // '-'
        if negative || p.pointee == 43 { p += 1 }  // '+'
        var mantissa = 0, fractionDigits = 0, digits = 0
        var seenPoint = false
        while p < end {
            let c = p.pointee
            if c >= 48 && c <= 57 {
                mantissa = mantissa &* 10 &+ Int(c &- 48)
                digits += 1
                if seenPoint { fractionDigits += 1 }
            } else if c == 46 && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            p += 1
        }
        if p == end && digits > 0 && digits <= 18 && mantissa < (1 << 24) && fractionDigits <= 10 {
            let magnitude = Float(mantissa) / powersOfTen[fractionDigits]
            return negative ? -magnitude : magnitude
        }
        return slowFloat(start, end)
    }

    private static func slowFloat(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Float? {
        // strtof skips leading white space and accepts hex; a field must be only the number.
        guard start.pointee > 32 else { return nil }
        var stop: UnsafeMutablePointer<CChar>? = nil
        let value = UnsafeRawPointer(start).withMemoryRebound(to: CChar.self, capacity: end - start) {
            strtof($0, &stop)
        }
        guard let stop, Int(bitPattern: stop) == Int(bitPattern: end) else { return nil }
        return value
    }
}
