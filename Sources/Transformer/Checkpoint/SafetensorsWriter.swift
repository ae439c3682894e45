import Mechanics
/// A tensor queued for writing: where its floats live and how to store them.
public struct TensorToWrite: @unchecked Sendable {
    // @unchecked: holds a pointer the caller promises stays valid and unchanged until written.

    /// The name in the file.
    public let name: String
    /// The shape in the file.
    public let shape: [Int]
    /// The stored type, `.f32` or `.bf16`.
    public let dtype: SafetensorsDType
    /// The product of `shape`.
    public let elementCount: Int
    /// Bytes in the file.
    public var byteCount: Int { elementCount * dtype.bitSize / 8 }
    let floats: UnsafePointer<Float>
    /// The floats are laid out `[shape[1], shape[0]]` and are written transposed.
    let transposed: Bool
}

/// Writes safetensors files that the Python `safetensors` library and transformers read, with
/// the same bytes the Python library writes for the same tensors.
///
/// Layout (as the Rust writer): the 8-byte little-endian header length; the header as compact
/// JSON, `__metadata__` first, then one entry per tensor with fields in the order dtype, shape,
/// data_offsets, padded with spaces to a multiple of 8 bytes so the data stays aligned; then the
/// data, tensors ordered by dtype (larger first, as the Rust enum orders them) and then by name.
///
/// The writer holds pointers, not copies, so that saving a model needs no second copy of its
/// weights: every pointer handed to `add` must stay valid until the write returns.
public struct SafetensorsWriter {
    /// The header's `__metadata__`; transformers writes `["format": "pt"]` and warns without it.
    public var metadata: [String: String]?
    /// The queued tensors, in the order they were added (the order that sharding follows).
    public private(set) var tensors: [TensorToWrite] = []
    private var names = Set<String>()

    public init(metadata: [String: String]? = ["format": "pt"]) {
        self.metadata = metadata
    }

    /// Queues `name` with `shape`, reading its elements from `floats` (row-major) when written.
    public mutating func add(_ name: String, shape: [Int], from floats: UnsafePointer<Float>, as dtype: SafetensorsDType = .f32) throws {
        try append(name, shape: shape, floats: floats, dtype: dtype, transposed: false)
    }

    /// Queues the matrix `name` to be stored with `shape` `[rows, columns]` while memory holds it
    /// transposed, `[columns, rows]` (GPT-2's Conv1D weights: stored `[in, out]`, kept `[out, in]`).
    public mutating func addTransposed(_ name: String, shape: [Int], from floats: UnsafePointer<Float>, as dtype: SafetensorsDType = .f32) throws {
        guard shape.count == 2 else { throw CheckpointError.invalidTensorToWrite(tensor: name, problem: "only matrices can be transposed, shape is \(shape)") }
        try append(name, shape: shape, floats: floats, dtype: dtype, transposed: true)
    }

    private mutating func append(_ name: String, shape: [Int], floats: UnsafePointer<Float>, dtype: SafetensorsDType, transposed: Bool) throws {
        guard dtype == .f32 || dtype == .bf16 else {
            throw CheckpointError.invalidTensorToWrite(tensor: name, problem: "only F32 and BF16 can be written, not \(dtype.rawValue)")
        }
        guard name != "__metadata__" else { throw CheckpointError.invalidTensorToWrite(tensor: name, problem: "the name is reserved by the format") }
        guard names.insert(name).inserted else { throw CheckpointError.invalidTensorToWrite(tensor: name, problem: "added twice") }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow else { throw CheckpointError.invalidTensorToWrite(tensor: name, problem: "invalid shape \(shape)") }
            count = product
        }
        tensors.append(TensorToWrite(name: name, shape: shape, dtype: dtype, elementCount: count, floats: floats, transposed: transposed))
    }

    /// Writes every queued tensor into one file at `path` (through a temporary file renamed into place).
    public func write(to path: String) throws {
        try Self.write(tensors, metadata: metadata, to: path)
    }

    /// Writes `tensors` as one safetensors file.
    static func write(_ tensors: [TensorToWrite], metadata: [String: String]?, to path: String) throws {
        let ordered = tensors.sorted { a, b in
            a.dtype != b.dtype ? a.dtype > b.dtype : JSONText.codePointOrder(a.name, b.name)
        }
        let header = headerBytes(ordered, metadata: metadata)
        let file = try AtomicFile(path: path, failure: CheckpointError.atomicFailure)
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try file.write($0.baseAddress!, count: 8) }
        try file.write(header)
        let staging = TensorStaging()
        for tensor in ordered { try staging.write(tensor, to: file) }
        try file.commit()
    }

    /// The JSON header as `serde_json` prints it, padded with spaces to a multiple of 8 bytes.
    static func headerBytes(_ ordered: [TensorToWrite], metadata: [String: String]?) -> [UInt8] {
        var entries: [String] = []
        if let metadata {
            // serde writes a HashMap in hash order; sorting is one of the orders it may produce
            // and the only reproducible one (with one key, as transformers writes, it is exact).
            let pairs = metadata.sorted { JSONText.codePointOrder($0.key, $1.key) }
                .map { JSONText.serdeString($0.key) + ":" + JSONText.serdeString($0.value) }
            entries.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for tensor in ordered {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append(JSONText.serdeString(tensor.name)
                + ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.byteCount)]}")
            offset += tensor.byteCount
        }
        var bytes = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
        return bytes
    }
}

/// Buffers that convert tensors on their way to disk, allocated once per file and reused.
private final class TensorStaging {
    /// 1 Mi elements per write: large enough that write(2) calls are few, small enough to stay cheap.
    private static let capacity = 1 << 20
    private var floats: UnsafeMutablePointer<Float>?
    private var floatCapacity = 0
    private var halves: UnsafeMutableRawPointer?
    private var halfCapacity = 0

    deinit {
        floats?.deallocate()
        halves?.deallocate()
    }

    func write(_ tensor: TensorToWrite, to file: AtomicFile) throws {
        if tensor.elementCount == 0 { return }
        if tensor.dtype == .f32 && !tensor.transposed {
            // Little-endian floats are already the stored bytes.
            try file.write(tensor.floats, count: tensor.elementCount * 4)
            return
        }
        // Transposed tensors are produced a slab of whole stored rows at a time.
        let rowLength = tensor.transposed ? tensor.shape[1] : 1
        let chunk = max(1, Self.capacity / rowLength) * rowLength
        var start = 0
        while start < tensor.elementCount {
            let count = min(chunk, tensor.elementCount - start)
            var source = tensor.floats + start
            if tensor.transposed {
                let buffer = floatBuffer(chunk)
                let firstRow = start / rowLength
                transposeRows(tensor.floats, rows: tensor.shape[0], columns: rowLength,
                              rowRange: firstRow..<(firstRow + count / rowLength), into: buffer)
                source = UnsafePointer(buffer)
            }
            if tensor.dtype == .bf16 {
                let out = halfBuffer(chunk)
                FloatConversion.floatToBFloat16(source, out, count: count)
                try file.write(out, count: count * 2)
            } else {
                try file.write(source, count: count * 4)
            }
            start += count
        }
    }

    /// Stored rows `rowRange` of a `[rows, columns]` matrix whose memory is `[columns, rows]`,
    /// in 32×32 tiles so that neither side is walked a whole row per element.
    private func transposeRows(_ memory: UnsafePointer<Float>, rows: Int, columns: Int, rowRange: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let tile = 32
        var r0 = rowRange.lowerBound
        while r0 < rowRange.upperBound {
            let r1 = min(r0 + tile, rowRange.upperBound)
            var c0 = 0
            while c0 < columns {
                let c1 = min(c0 + tile, columns)
                for r in r0..<r1 {
                    let outRow = out + (r - rowRange.lowerBound) * columns
                    for c in c0..<c1 { outRow[c] = memory[c * rows + r] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }

    private func floatBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if let floats, floatCapacity >= count { return floats }
        floats?.deallocate()
        floats = .allocate(capacity: count)
        floatCapacity = count
        return floats!
    }

    private func halfBuffer(_ count: Int) -> UnsafeMutableRawPointer {
        if let halves, halfCapacity >= count { return halves }
        halves?.deallocate()
        halves = .allocate(byteCount: count * 2, alignment: 64)
        halfCapacity = count
        return halves!
    }
}
