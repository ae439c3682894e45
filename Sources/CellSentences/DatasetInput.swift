import Foundation
import SingleCell

/// Re-reading the input a sentence dataset was made from, exactly as `convert` read it.
public enum DatasetInput {
    /// Read options recorded in the manifest.
    public static func readOptions(_ manifest: DatasetManifest) -> ReadOptions {
        var options = ReadOptions()
        options.format = InputFormat(rawValue: manifest.input.format)
        switch manifest.input.matrix {
        case "X": options.matrix = .x
        case "raw/X": options.matrix = .raw
        case let m where m.hasPrefix("layers/"): options.matrix = .layer(String(m.dropFirst("layers/".count)))
        default: options.matrix = .x
        }
        options.geneColumn = manifest.input.geneColumn
        options.genesAsRows = manifest.input.genesAsRows
        return options
    }

    /// Opens the input of `manifest` (or `override`), checking that its SHA-256 is unchanged.
    public static func open(_ manifest: DatasetManifest, folder: String, override: String? = nil) throws -> ExpressionSource {
        if let parts = manifest.input.parts {
            guard override == nil else {
                throw FileError(override!, "\(folder) was made from \(parts.count) files; they are read again from where the manifest lists them, so --input cannot name a new location")
            }
            let sources = try parts.map { part in
                try openChecked([part.absolutePath, part.path], sha256: part.sha256, folder: folder, manifest: manifest)
            }
            return try ConcatenatedSource(sources, path: manifest.input.path)
        }
        return try openChecked(override.map { [$0] } ?? [manifest.input.absolutePath, manifest.input.path],
                               sha256: manifest.input.sha256, folder: folder, manifest: manifest)
    }

    /// The path of the one input file of `manifest` (or `override`), its SHA-256 checked; an
    /// input of several files is refused (each is read again from where the manifest lists it).
    public static func singleFile(_ manifest: DatasetManifest, folder: String, override: String? = nil) throws -> String {
        if let parts = manifest.input.parts {
            throw FileError(folder, "was made from \(parts.count) files; this needs a dataset converted from one file")
        }
        return try locate(override.map { [$0] } ?? [manifest.input.absolutePath, manifest.input.path],
                          sha256: manifest.input.sha256, folder: folder, manifest: manifest)
    }

    /// Opens the first of `candidates` that exists, checking its SHA-256 when one is recorded.
    static func openChecked(_ candidates: [String], sha256: String, folder: String, manifest: DatasetManifest) throws -> ExpressionSource {
        try ExpressionReader.open(try locate(candidates, sha256: sha256, folder: folder, manifest: manifest), options: readOptions(manifest))
    }

    /// The first of `candidates` that exists, its SHA-256 checked when one is recorded.
    static func locate(_ candidates: [String], sha256: String, folder: String, manifest: DatasetManifest) throws -> String {
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw FileError(candidates.first ?? manifest.input.path, "the input of \(folder) is no longer there; give its new location with --input")
        }
        if !sha256.isEmpty {
            let sha = try FileChecksum.sha256(path)
            guard sha == sha256 else {
                throw FileError(path, "this file has changed since \(folder) was made from it (SHA-256 differs); convert it again")
            }
        }
        return path
    }

    /// The preprocessing plan and column transform that `convert` used for `manifest`.
    public static func replan(_ source: ExpressionSource, manifest: DatasetManifest, threads: Int, blockSize: Int) throws -> (PreprocessingPlan, ((CSRRows) throws -> CSRRows)?) {
        let policy = DuplicateGenePolicy(rawValue: manifest.sentences.onDuplicate) ?? .fail
        let naming = try GeneNaming(upperCase: manifest.sentences.upperCase, policy: policy).resolve(source.geneNames, path: source.path)
        let transform: ((CSRRows) throws -> CSRRows)? = naming.isIdentity ? nil : { naming.remap($0) }
        let plan = try Preprocessor.plan(source, options: manifest.preprocessing, geneNames: naming.names, threads: threads,
                                         blockSize: blockSize, columnTransform: transform)
        return (plan, transform)
    }
}
