import Glibc
import Mechanics

/// Everything that can go wrong while reading or writing safetensors files and Hugging Face
/// checkpoint folders.
///
/// Every message names the file (or folder) and the tensor concerned, and is meant to be shown
/// to a user as it is: `print(error)` explains what is wrong without a stack trace.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The operating system refused an operation on `path` (open, stat, map, write, rename).
    case io(path: String, operation: String, reason: String)
    /// The file's bytes do not form a valid safetensors file; `problem` says where and why.
    case invalidFile(path: String, problem: String)
    /// The header entry of `tensor` is malformed or inconsistent with the data region.
    case invalidTensor(path: String, tensor: String, problem: String)
    /// A tensor was asked for that the file or checkpoint does not hold.
    case tensorNotFound(path: String, tensor: String)
    /// The tensor's dtype cannot be converted to `Float`.
    case notFloat(path: String, tensor: String, dtype: String)
    /// The caller's buffer does not match the tensor's element count or rank.
    case wrongDestination(path: String, tensor: String, problem: String)
    /// A folder holds no safetensors weights; `hint` says what it holds instead and how to convert.
    case noWeights(folder: String, hint: String)
    /// `model.safetensors.index.json` is malformed or disagrees with its shards.
    case invalidIndex(path: String, problem: String)
    /// Strict loading found missing, unexpected or misshaped tensors (see `WeightManifest`).
    case mismatchedWeights(source: String, report: String)
    /// A tensor handed to the writer is inconsistent (shape versus element count, duplicate name).
    case invalidTensorToWrite(tensor: String, problem: String)

    public var description: String {
        switch self {
        case let .io(path, operation, reason):
            return "\(path): cannot \(operation): \(reason)"
        case let .invalidFile(path, problem):
            return "\(path): not a valid safetensors file: \(problem)"
        case let .invalidTensor(path, tensor, problem):
            return "\(path): tensor \"\(tensor)\": \(problem)"
        case let .tensorNotFound(path, tensor):
            return "\(path): no tensor named \"\(tensor)\""
        case let .notFloat(path, tensor, dtype):
            return "\(path): tensor \"\(tensor)\" has dtype \(dtype); only F32, F16, BF16 (and F64) can be loaded as floats"
        case let .wrongDestination(path, tensor, problem):
            return "\(path): tensor \"\(tensor)\": \(problem)"
        case let .noWeights(folder, hint):
            return "\(folder): no model weights found: \(hint)"
        case let .invalidIndex(path, problem):
            return "\(path): invalid checkpoint index: \(problem)"
        case let .mismatchedWeights(source, report):
            return "\(source): the weights do not match the model:\n\(report)"
        case let .invalidTensorToWrite(tensor, problem):
            return "cannot write tensor \"\(tensor)\": \(problem)"
        }
    }
}

extension CheckpointError {
    /// How `AtomicFile` reports a failed write of a checkpoint or model file.
    static let atomicFailure: AtomicFile.Failure = { CheckpointError.io(path: $0, operation: $1, reason: $2) }
}

extension CheckpointError: C2SError {
    public var exitCode: Int32 { 2 }
}
