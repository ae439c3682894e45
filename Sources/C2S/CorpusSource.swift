import Foundation
import SingleCell

/// One sentence dataset (a folder written by `c2s convert`) of a corpus, and the name the
/// corpus knows it by.
///
/// The name prefixes the source's cell names in the corpus (`NAME/CELL`), so that equal cell
/// names (10x barcodes, donor ids) in two datasets stay two cells; it also names the source
/// in `--weight NAME=W`, in the corpus manifest and in every message about it.
public struct CorpusSource: Sendable, Equatable {
    /// The folder as the user gave it (relative paths of a list file are resolved against the
    /// list file's folder).
    public var folder: String
    public var name: String

    public init(folder: String, name: String) {
        self.folder = folder
        self.name = name
    }

    /// A source from a command-line word: `FOLDER`, named after the folder's last component,
    /// or `NAME=FOLDER` to choose the name (when the word is not itself an existing path, so a
    /// folder whose name holds "=" still works).
    public static func parse(_ word: String, relativeTo base: String? = nil) throws -> CorpusSource {
        if let eq = word.firstIndex(of: "="), !FileManager.default.fileExists(atPath: resolve(word, base)) {
            let name = String(word[..<eq]), folder = String(word[word.index(after: eq)...])
            guard !folder.isEmpty else { throw DataError("source '\(word)' names no folder after '='; write NAME=FOLDER") }
            try checkName(name, source: word)
            return CorpusSource(folder: resolve(folder, base), name: name)
        }
        let folder = resolve(word, base)
        let name = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
        try checkName(name, source: word)
        return CorpusSource(folder: folder, name: name)
    }

    /// The sources listed in a text file: one `FOLDER` or `NAME=FOLDER` per line; blank lines
    /// and lines starting with `#` are skipped; relative folders are relative to the list
    /// file's own folder (so a list travels with the datasets beside it).
    public static func list(file path: String) throws -> [CorpusSource] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path, "cannot be read (expected a list of sentence dataset folders, one per line)") }
        guard let text = String(data: data, encoding: .utf8) else { throw FileError(path, "is not UTF-8 text (expected a list of sentence dataset folders, one per line)") }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var sources: [CorpusSource] = []
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            do { sources.append(try parse(line, relativeTo: base)) } catch let e as DataError {
                throw FileError(path, "line \(n + 1): \(e.message)")
            }
        }
        guard !sources.isEmpty else { throw FileError(path, "lists no sentence dataset folders (one per line; '#' starts a comment)") }
        return sources
    }

    /// Throws unless every name is used once, naming both folders of a repeated name.
    public static func checkUnique(_ sources: [CorpusSource]) throws {
        var seen: [String: CorpusSource] = [:]
        for s in sources {
            if let first = seen[s.name] {
                throw DataError("two sources are both named '\(s.name)': \(first.folder) and \(s.folder); name one with NAME=FOLDER (each dataset's name must be unique)")
            }
            seen[s.name] = s
        }
    }

    /// Names are plain words: they prefix cell names (`NAME/CELL`) and appear in `NAME=W` options.
    static func checkName(_ name: String, source: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-+"))
        guard !name.isEmpty, name != ".", name != "..", name.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            throw DataError("source '\(source)' gives the dataset name '\(name)'; a name is letters, digits and . _ - + only (name it with NAME=FOLDER)")
        }
    }

    private static func resolve(_ path: String, _ base: String?) -> String {
        guard let base, !path.hasPrefix("/") else { return path }
        return base + "/" + path
    }
}
