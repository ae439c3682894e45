import Foundation

/// A growable byte buffer on a raw pointer, for building large text outputs without per-append
/// allocation, retain/release or bounds checks. Not thread-safe: one per worker.
public final class ByteBuffer: @unchecked Sendable {
    // Stored under internal names so that the appends can be inlined into other modules.
    @usableFromInline var storage: UnsafeMutablePointer<UInt8>
    @usableFromInline var used = 0
    @usableFromInline var allocated: Int

    @inlinable public var base: UnsafeMutablePointer<UInt8> { storage }
    @inlinable public var count: Int { used }
    public var capacity: Int { allocated }

    public init(capacity: Int = 1 << 16) {
        allocated = max(16, capacity)
        storage = .allocate(capacity: allocated)
    }

    deinit { storage.deallocate() }

    /// Makes room for `extra` more bytes.
    @inlinable @inline(__always) public func reserve(_ extra: Int) {
        if used + extra > allocated { grow(used + extra) }
    }

    @usableFromInline func grow(_ needed: Int) {
        let newCapacity = max(needed, allocated * 2)
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        p.update(from: storage, count: used)
        storage.deallocate()
        storage = p
        allocated = newCapacity
    }

    /// Appends without checking capacity; call `reserve` first.
    @inlinable @inline(__always) public func appendUnchecked(_ p: UnsafePointer<UInt8>, _ n: Int) {
        (storage + used).update(from: p, count: n)
        used += n
    }

    @inlinable @inline(__always) public func appendUnchecked(_ byte: UInt8) {
        storage[used] = byte
        used += 1
    }

    public func append(_ bytes: [UInt8]) {
        reserve(bytes.count)
        bytes.withUnsafeBufferPointer { appendUnchecked($0.baseAddress!, $0.count) }
    }

    @inlinable public func append(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount)
        appendUnchecked(text.utf8Start, text.utf8CodeUnitCount)
    }

    public func removeAll() { used = 0 }

    /// Drops everything after the first `n` bytes (e.g. a line that must be written again).
    public func truncate(to n: Int) { used = min(used, max(0, n)) }

    /// Counts `n` bytes written directly at `base + count`.
    @inlinable @inline(__always) public func advance(_ n: Int) { used += n }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Many short byte strings stored back to back, addressed by index (e.g. escaped gene names).
public struct PackedStrings: @unchecked Sendable {
    public let bytes: [UInt8]
    public let offsets: [Int]
    public let maxLength: Int

    public init(_ strings: [[UInt8]]) {
        var b: [UInt8] = []
        var o = [0]
        for s in strings { b.append(contentsOf: s); o.append(b.count) }
        // Slack so that short strings can be copied with fixed-width vector moves.
        b.append(contentsOf: [UInt8](repeating: 0, count: 32))
        bytes = b
        offsets = o
        maxLength = strings.map(\.count).max() ?? 0
    }

    public var count: Int { offsets.count - 1 }

    /// Appends string `i` to `out`, which must have room for `maxLength + 32` more bytes.
    @inline(__always)
    public static func appendShort(_ base: UnsafePointer<UInt8>, _ start: Int, _ length: Int, to out: ByteBuffer) {
        if length <= 32 {
            // Two unaligned 16-byte moves; bytes past `length` are overwritten by what follows.
            let src = UnsafeRawPointer(base + start)
            let dst = UnsafeMutableRawPointer(out.base + out.count)
            dst.storeBytes(of: src.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
            dst.storeBytes(of: src.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self), toByteOffset: 16, as: SIMD16<UInt8>.self)
            out.advance(length)
        } else {
            out.appendUnchecked(base + start, length)
        }
    }
}
