/// Named tensors that can be read as `Float`: one safetensors file (`SafetensorsFile`) or a
/// whole checkpoint folder of shards (`Checkpoint`). Architectures load their weights through
/// this protocol, so they do not care how the checkpoint was split into files.
public protocol TensorStore: Sendable {
    /// The file or folder the tensors come from, for messages.
    var source: String { get }
    /// Every tensor name.
    var tensorNames: [String] { get }
    /// The header entry of `name`; throws `CheckpointError.tensorNotFound` when absent.
    func info(_ name: String) throws -> SafetensorsTensorInfo
    /// Converts tensor `name` to `Float` into `destination`, which holds exactly `count` elements,
    /// the tensor's element count.
    func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws
    /// Converts the matrix `name`, stored `[rows, columns]`, into `destination` laid out
    /// `[columns, rows]`. GPT-2 stores its Conv1D weights `[in, out]`; the engine keeps every
    /// weight `[out, in]` like `nn.Linear`.
    func copyFloatsTransposed(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws
    /// Copies tensor `name` as bfloat16 bits into `destination` (exactly `count` elements): BF16
    /// as stored, other floating types rounded to nearest-even (NaN to the quiet NaN). Models
    /// that keep their matrices in bf16 load them through this, with no fp32 copy.
    func copyBFloat16(_ name: String, into destination: UnsafeMutablePointer<UInt16>, count: Int) throws
}

extension TensorStore {
    /// Through fp32 (exact for BF16 sources): stores that can do better override it.
    public func copyBFloat16(_ name: String, into destination: UnsafeMutablePointer<UInt16>, count: Int) throws {
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        defer { floats.deallocate() }
        try copyFloats(name, into: floats, count: count)
        FloatConversion.floatToBFloat16(floats, UnsafeMutableRawPointer(destination), count: count)
    }

    /// Whether a tensor named `name` exists.
    public func contains(_ name: String) -> Bool { (try? info(name)) != nil }

    /// Tensor `name` as a new array of floats (convenient for small tensors and tests; weights
    /// should be copied straight into their arena with `copyFloats`).
    public func floats(_ name: String) throws -> [Float] {
        let count = try info(name).elementCount
        if count == 0 {
            // Still asks the store, so that an empty tensor of a non-float dtype is refused too.
            var unused: Float = 0
            try copyFloats(name, into: &unused, count: 0)
            return []
        }
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            try copyFloats(name, into: buffer.baseAddress!, count: count)
            initialised = count
        }
    }

    /// The shape of every tensor, by name.
    public var shapes: [String: [Int]] {
        var result: [String: [Int]] = [:]
        for name in tensorNames { result[name] = try? info(name).shape }
        return result
    }
}
