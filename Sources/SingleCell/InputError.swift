import Mechanics
/// An error about one input or output file, phrased for the person who gave us that file.
///
/// Every reader and writer in c2s throws this type, so the command line can print one line
/// that names the file and what is wrong with it.
public struct FileError: Error, CustomStringConvertible, Equatable {
    /// The path as the user gave it.
    public let path: String
    /// What is wrong, in plain words.
    public let problem: String

    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// A problem with the data itself rather than with a file (for example, a filter that removes
/// every cell). The message is complete on its own.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension FileError: C2SError {
    public var exitCode: Int32 { 2 }
}

extension DataError: C2SError {
    public var exitCode: Int32 { 3 }
}
