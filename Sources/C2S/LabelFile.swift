import Foundation
import SingleCell

/// A label list file (candidate labels of constrained annotation, `--labels`): one label per
/// line, blank lines skipped.
public enum LabelFile {
    /// The labels in order. Errors name the file: unreadable, no labels, a label listed twice.
    public static func read(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path, "cannot be read") }
        let labels = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !labels.isEmpty else { throw FileError(path, "has no labels (expected one label per line)") }
        var seen = Set<String>()
        for l in labels where !seen.insert(l).inserted { throw FileError(path, "lists the label '\(l)' twice") }
        return labels
    }
}
