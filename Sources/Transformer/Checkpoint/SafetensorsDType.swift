/// The element types a safetensors header may name, spelled as in the file.
///
/// The list and its order are those of the Rust `safetensors` crate (0.8): its writer sorts the
/// data of a file by this order, descending, so that larger elements come first and stay aligned.
/// `SafetensorsWriter` mirrors that to produce the same bytes as the Python library. Files may
/// hold any of these; only the floating types F32, F16, BF16 and F64 can be read as `Float`.
public enum SafetensorsDType: String, CaseIterable, Sendable, Comparable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6e2m3 = "F6_E2M3"
    case f6e3m2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case f8e4m3fnuz = "F8_E4M3FNUZ"
    case f8e5m2fnuz = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bits per element. Sub-byte types (F4, F6) exist, so sizes are counted in bits and a
    /// tensor's total must come out at a whole number of bytes.
    public var bitSize: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Whether `copyFloats` can convert this type.
    public var isLoadableAsFloat: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: return true
        default: return false
        }
    }

    /// Position in the Rust crate's enum, which its writer sorts by.
    var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// What a safetensors header says about one tensor.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    /// The tensor's name as written in the header.
    public let name: String
    /// The element type.
    public let dtype: SafetensorsDType
    /// The shape, outermost dimension first; `[]` for a scalar.
    public let shape: [Int]
    /// The product of `shape` (1 for a scalar, 0 when any dimension is 0).
    public let elementCount: Int
    /// Where the tensor's bytes lie, relative to the start of the data region (after the header).
    public let dataOffsets: Range<Int>

    /// Bytes the tensor occupies.
    public var byteCount: Int { dataOffsets.count }
}
