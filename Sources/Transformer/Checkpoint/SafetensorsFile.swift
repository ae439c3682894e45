import Dispatch
import Foundation

/// One `.safetensors` file, memory-mapped and validated when opened.
///
/// Opening parses and checks the whole header (see `SafetensorsHeader` for the rules, which are
/// those of the Rust reader), so that every later read stays inside the file. Tensor bytes are
/// converted to `Float` (or copied as bfloat16) straight from the mapping, once, into the
/// caller's buffer; then the tensor's mapped pages are released (`MappedFile.release`), so
/// that loading a model holds its weights once, in their arena, not also in the mapping.
///
/// Instances are immutable and may be shared between threads.
public final class SafetensorsFile: TensorStore, @unchecked Sendable {
    // @unchecked: every stored property is immutable after init; the mapping is only read.

    /// The path the file was opened from.
    public let path: String
    /// The `__metadata__` map of the header (empty when absent), e.g. `["format": "pt"]`.
    public let metadata: [String: String]
    /// Every tensor, in the order of their data in the file.
    public let tensors: [SafetensorsTensorInfo]

    private let file: MappedFile
    private let dataStart: Int
    private let index: [String: Int]

    /// Maps and validates the file at `path`.
    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let header = try SafetensorsHeader(file: file.bytes, path: path)
        metadata = header.metadata ?? [:]
        tensors = header.tensors
        dataStart = header.dataStart
        var index: [String: Int] = [:]
        index.reserveCapacity(tensors.count)
        for (i, info) in tensors.enumerated() { index[info.name] = i }
        self.index = index
    }

    public var source: String { path }

    /// Tensor names in the order of their data in the file.
    public var tensorNames: [String] { tensors.map(\.name) }

    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let i = index[name] else { throw CheckpointError.tensorNotFound(path: path, tensor: name) }
        return tensors[i]
    }

    /// The stored bytes of tensor `name`, valid while this object lives.
    func bytes(of info: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)])
    }

    /// The file offset of the data region (8 + header length); for tests.
    var dataRegionStart: Int { dataStart }
    /// The file's size in bytes; for tests.
    var fileSize: Int { file.bytes.count }

    public func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        let info = try floatInfo(name, count: count)
        guard count > 0 else { return }
        FloatConversion.toFloat(bytes(of: info).baseAddress!, dtype: info.dtype, into: destination, count: count)
        release(info)
    }

    public func copyBFloat16(_ name: String, into destination: UnsafeMutablePointer<UInt16>, count: Int) throws {
        let info = try floatInfo(name, count: count)
        guard count > 0 else { return }
        FloatConversion.toBFloat16(bytes(of: info).baseAddress!, dtype: info.dtype, into: destination, count: count)
        release(info)
    }

    public func copyFloatsTransposed(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        let info = try floatInfo(name)
        guard info.shape.count == 2 else {
            throw CheckpointError.wrongDestination(path: path, tensor: name, problem: "has shape \(info.shape), but only a matrix (2 dimensions) can be transposed")
        }
        try checkCount(info, name, count)
        guard count > 0 else { return }
        BlockedTranspose.convert(bytes(of: info).baseAddress!, dtype: info.dtype, rows: info.shape[0], columns: info.shape[1], into: destination)
        release(info)
    }

    /// Drops the tensor's pages from this process's mapping once it has been copied: mapped
    /// pages that were read count in the process's resident memory until unmapped, so without
    /// this a load would peak at the file plus its arena. The data stays in the page cache,
    /// and reading the tensor again simply maps it back in.
    private func release(_ info: SafetensorsTensorInfo) {
        file.release((dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound))
    }

    private func floatInfo(_ name: String) throws -> SafetensorsTensorInfo {
        let info = try info(name)
        guard info.dtype.isLoadableAsFloat else {
            throw CheckpointError.notFloat(path: path, tensor: name, dtype: info.dtype.rawValue)
        }
        return info
    }

    /// A floating tensor whose element count is the destination's `count`.
    private func floatInfo(_ name: String, count: Int) throws -> SafetensorsTensorInfo {
        let info = try floatInfo(name)
        try checkCount(info, name, count)
        return info
    }

    private func checkCount(_ info: SafetensorsTensorInfo, _ name: String, _ count: Int) throws {
        guard count == info.elementCount else {
            throw CheckpointError.wrongDestination(path: path, tensor: name, problem: "has \(info.elementCount) elements (shape \(info.shape)), but the destination holds \(count)")
        }
    }
}
