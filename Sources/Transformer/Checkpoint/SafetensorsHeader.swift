/// A parsed and validated safetensors header: the tensors and where their bytes lie.
///
/// Validation mirrors `Metadata::validate` and `read_metadata` of the Rust `safetensors` crate
/// (the reader behind the Python library), so that we accept exactly the files it accepts
/// (except duplicate names, see `SafetensorsHeaderParser`):
/// - the header length is at most 100 MB and lies within the file;
/// - each tensor's byte count equals product(shape) · bits / 8, computed without overflow and
///   coming out at whole bytes;
/// - sorted by offsets, the tensors tile the data region exactly: the first begins at 0, each
///   begins where the previous ended (no holes, no overlaps; zero-byte tensors may share an
///   offset) and the last ends at the end of the file.
struct SafetensorsHeader {
    /// Largest header the Rust reader accepts (`MAX_HEADER_SIZE`).
    static let maximumHeaderLength = 100_000_000

    let tensors: [SafetensorsTensorInfo]
    let metadata: [String: String]?
    /// Byte offset of the data region in the file: 8 + header length.
    let dataStart: Int

    /// Parses the header of the file whose bytes are `file` (the whole file).
    init(file: UnsafeRawBufferPointer, path: String) throws {
        guard file.count >= 8 else {
            throw CheckpointError.invalidFile(path: path, problem: "the file has \(file.count) bytes, fewer than the 8 of the header length")
        }
        // The length is little-endian; assemble it byte by byte so the host's order does not matter.
        var length: UInt64 = 0
        for i in (0..<8).reversed() { length = length << 8 | UInt64(file[i]) }
        guard length <= UInt64(Self.maximumHeaderLength) else {
            throw CheckpointError.invalidFile(path: path, problem: "the header length \(length) exceeds the 100 MB limit (a corrupt or foreign file)")
        }
        let headerLength = Int(length)
        guard 8 + headerLength <= file.count else {
            throw CheckpointError.invalidFile(path: path, problem: "the header length \(headerLength) runs past the end of the file (\(file.count) bytes): the file is truncated or not safetensors")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<(8 + headerLength)])
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw CheckpointError.invalidFile(path: path, problem: "the header is not valid UTF-8")
        }
        var parser = SafetensorsHeaderParser(bytes: headerBytes, path: path)
        let (entries, metadata) = try parser.parse()
        dataStart = 8 + headerLength
        self.metadata = metadata
        tensors = try Self.validate(entries, dataSize: file.count - dataStart, path: path)
    }

    /// Checks sizes and the tiling of the data region; returns the tensors in offset order.
    private static func validate(_ entries: [ParsedTensorEntry], dataSize: Int, path: String) throws -> [SafetensorsTensorInfo] {
        var infos: [SafetensorsTensorInfo] = []
        infos.reserveCapacity(entries.count)
        for entry in entries {
            var elements = 1
            for dimension in entry.shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else {
                    throw CheckpointError.invalidTensor(path: path, tensor: entry.name, problem: "shape \(entry.shape) has more elements than can be addressed")
                }
                elements = product
            }
            let (bits, overflow) = elements.multipliedReportingOverflow(by: entry.dtype.bitSize)
            guard !overflow else {
                throw CheckpointError.invalidTensor(path: path, tensor: entry.name, problem: "shape \(entry.shape) of \(entry.dtype.rawValue) is too large to address")
            }
            guard bits % 8 == 0 else {
                throw CheckpointError.invalidTensor(path: path, tensor: entry.name, problem: "\(elements) elements of \(entry.dtype.rawValue) do not fill a whole number of bytes")
            }
            guard entry.begin <= entry.end else {
                throw CheckpointError.invalidTensor(path: path, tensor: entry.name, problem: "data_offsets [\(entry.begin), \(entry.end)] end before they begin")
            }
            guard entry.end - entry.begin == bits / 8 else {
                throw CheckpointError.invalidTensor(path: path, tensor: entry.name, problem: "data_offsets [\(entry.begin), \(entry.end)] span \(entry.end - entry.begin) bytes, but shape \(entry.shape) of \(entry.dtype.rawValue) needs \(bits / 8)")
            }
            infos.append(SafetensorsTensorInfo(name: entry.name, dtype: entry.dtype, shape: entry.shape,
                                               elementCount: elements, dataOffsets: entry.begin..<entry.end))
        }
        // Sort as the Rust reader does, by (begin, end); the name breaks ties so the order is total.
        infos.sort { a, b in
            if a.dataOffsets.lowerBound != b.dataOffsets.lowerBound { return a.dataOffsets.lowerBound < b.dataOffsets.lowerBound }
            if a.dataOffsets.upperBound != b.dataOffsets.upperBound { return a.dataOffsets.upperBound < b.dataOffsets.upperBound }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var covered = 0
        var previous: String? = nil
        for info in infos {
            let begin = info.dataOffsets.lowerBound
            if begin > covered {
                let after = previous.map { "after tensor \"\($0)\"" } ?? "at the start of the data"
                throw CheckpointError.invalidTensor(path: path, tensor: info.name, problem: "begins at data offset \(begin), leaving \(begin - covered) bytes \(after) that belong to no tensor (safetensors requires the data to be fully indexed)")
            }
            if begin < covered {
                throw CheckpointError.invalidTensor(path: path, tensor: info.name, problem: "data_offsets [\(begin), \(info.dataOffsets.upperBound)] overlap tensor \"\(previous ?? "")\", which ends at \(covered)")
            }
            if info.dataOffsets.upperBound > dataSize {
                throw CheckpointError.invalidTensor(path: path, tensor: info.name, problem: "data_offsets [\(begin), \(info.dataOffsets.upperBound)] run past the \(dataSize) bytes of data in the file: the file is truncated")
            }
            covered = info.dataOffsets.upperBound
            previous = info.name
        }
        if covered != dataSize {
            throw CheckpointError.invalidFile(path: path, problem: "\(dataSize - covered) bytes at the end of the data belong to no tensor (the tensors cover \(covered) of \(dataSize) bytes)")
        }
        return infos
    }
}
