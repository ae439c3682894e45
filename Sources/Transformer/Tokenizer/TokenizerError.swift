import Foundation
import Mechanics

/// Why a tokenizer could not be loaded. Every message names the file it is about, so that a user
/// who points `c2s` at a model folder learns which file to look at and what is wrong with it.
public struct TokenizerError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// What went wrong, in one of a few broad kinds (useful to tests and callers that recover).
    public enum Kind: Sendable, Equatable {
        /// The file could not be read.
        case unreadable
        /// The file is not valid JSON.
        case malformedJSON
        /// Valid JSON, but a field is missing, has the wrong type or an impossible value.
        case invalid
        /// A component (model, normalizer, pre-tokenizer, decoder, post-processor) of a kind that
        /// this implementation does not have.
        case unsupported
    }

    public let kind: Kind
    /// The file the problem is in (its last path component is enough to find it in a model folder).
    public let file: String
    public let message: String

    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    /// An unsupported component, listing the supported ones so the user sees the alternatives.
    static func unsupported(file: String, at path: String, component: String, name: String, supported: [String]) -> TokenizerError {
        TokenizerError(.unsupported, file: file,
                       "\(path): \(component) '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))")
    }

    public var description: String { "\(file): \(message)" }
    public var errorDescription: String? { description }
}

extension TokenizerError: C2SError {
    public var exitCode: Int32 { 2 }
}
