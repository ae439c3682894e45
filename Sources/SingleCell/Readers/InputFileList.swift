import Foundation

/// The count-matrix files that the inputs of a command name: files as they are, or a folder of
/// them (a folder holding a `matrix.mtx` is a 10x folder, one input, as before).
public struct InputFileList: Sendable, Equatable {
    /// The files (or 10x folders), in the order they are read.
    public let files: [String]
    /// How they are named as a whole: the folder they came from, or the first file.
    public let name: String

    /// Name endings of the files taken from a folder (each also gzipped).
    public static let folderExtensions = ["h5ad", "h5", "mtx", "csv", "tsv", "txt"]

    /// Resolves `inputs`: several paths are read in the order given; one folder that is not a
    /// 10x folder stands for its count-matrix files (by `folderExtensions`, sorted by name,
    /// hidden files skipped). Every file must exist; a folder without such files is an error.
    public init(_ inputs: [String]) throws {
        guard let first = inputs.first else { throw FileError(".", "no input given") }
        for path in inputs where !FileManager.default.fileExists(atPath: path) {
            throw FileError(path, "no such file or directory")
        }
        if inputs.count == 1, Self.isFolderOfInputs(first) {
            let names = try FileManager.default.contentsOfDirectory(atPath: first)
            let files = names.filter { !$0.hasPrefix(".") && Self.isCountFileName($0) }.sorted()
                .map { (first as NSString).appendingPathComponent($0) }
            guard !files.isEmpty else {
                throw FileError(first, "this folder holds no count-matrix files (\(Self.folderExtensions.map { "." + $0 }.joined(separator: ", ")), optionally .gz) and no 10x matrix.mtx")
            }
            self.files = files
        } else {
            files = inputs
        }
        name = first
    }

    /// A folder with no 10x matrix in it.
    static func isFolderOfInputs(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return false }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return !names.contains { $0.hasSuffix("matrix.mtx") || $0.hasSuffix("matrix.mtx.gz") }
    }

    static func isCountFileName(_ name: String) -> Bool {
        var name = name.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        return folderExtensions.contains((name as NSString).pathExtension)
    }

    /// Opens the files with `options`: one file as itself, several as one `ConcatenatedSource`
    /// (which checks that they share their genes).
    public func open(options: ReadOptions = .init()) throws -> ExpressionSource {
        if files.count == 1 && files[0] == name { return try ExpressionReader.open(name, options: options) }
        return try ConcatenatedSource(files.map { try ExpressionReader.open($0, options: options) }, path: name)
    }
}
