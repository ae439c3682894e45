import Foundation
import Mechanics

/// A problem with a prompt template or a task definition. The message is complete on its own.
public struct TemplateError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, in plain words.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A text with `{placeholder}` slots; `{{` and `}}` are literal braces.
///
/// The text is split once, at init, into literal chunks and slots, so `render` never parses:
/// it asks for one value per slot and joins the pieces into a string reserved at its final size.
///
/// A placeholder name is any text between `{` and `}` that is not empty, has no brace or line
/// break, and neither starts nor ends with whitespace (so an obs column such as `cell type` can be
/// a placeholder). Equality and the encoded form are the template's text.
public struct PromptTemplate: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The template as written, with `{{`/`}}` escapes intact.
    public let text: String
    /// The placeholder names, unique, in order of first appearance.
    public let placeholders: [String]

    /// `literals[i]` comes before slot `i`; the last literal follows the last slot, so there is
    /// one literal more than there are slots.
    let literals: [String]
    /// The placeholder name of each slot, in order (a name used twice has two slots).
    let slots: [String]
    /// For the literal after slot `i` (`literals[i + 1]`): the same literal without its leading
    /// ".", or nil when it does not start with "." (used to avoid doubled periods).
    let literalsWithoutDot: [String?]
    /// Total UTF-8 length of the literals, to reserve the result's storage.
    private let literalBytes: Int

    /// Parses `text`.
    ///
    /// - Throws: `TemplateError` for a `{` that is never closed, a `}` that closes nothing (write
    ///   `}}` for a literal brace), a `{` inside a placeholder, an empty `{}`, or a placeholder
    ///   name with a line break or surrounding whitespace; the message gives the column (and the
    ///   line, for a template of several lines) of the offending brace.
    public init(_ text: String) throws {
        var literals: [String] = []
        var slots: [String] = []
        var placeholders: [String] = []
        var seen = Set<String>()
        var literal = ""
        var line = 1
        var column = 0
        let multiLine = text.contains(where: \.isNewline)
        func position(_ line: Int, _ column: Int) -> String {
            multiLine ? "line \(line), column \(column)" : "column \(column)"
        }
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            column += 1
            // A doubled brace is a literal one.
            if c == "{" || c == "}", i + 1 < chars.count, chars[i + 1] == c {
                literal.append(c)
                i += 2
                column += 1
                continue
            }
            if c == "{" {
                let openLine = line, openColumn = column
                var name = ""
                var j = i + 1
                var closed = false
                while j < chars.count {
                    let d = chars[j]
                    if d == "}" { closed = true; break }
                    if d == "{" {
                        throw TemplateError("'{' inside the placeholder opened at \(position(openLine, openColumn)) of template \(Self.quoted(text)); write '{{' for a literal brace")
                    }
                    if d.isNewline {
                        throw TemplateError("the placeholder opened at \(position(openLine, openColumn)) of template \(Self.quoted(text)) is not closed before the end of the line; write '{{' for a literal brace")
                    }
                    name.append(d)
                    j += 1
                }
                guard closed else {
                    throw TemplateError("unclosed '{' at \(position(openLine, openColumn)) of template \(Self.quoted(text)); write '{{' for a literal brace")
                }
                if name.isEmpty {
                    throw TemplateError("empty placeholder '{}' at \(position(openLine, openColumn)) of template \(Self.quoted(text)); write '{{}}' for literal braces")
                }
                if name.first!.isWhitespace || name.last!.isWhitespace {
                    throw TemplateError("placeholder '{\(name)}' at \(position(openLine, openColumn)) of template \(Self.quoted(text)) has leading or trailing whitespace")
                }
                literals.append(literal)
                literal = ""
                slots.append(name)
                if seen.insert(name).inserted { placeholders.append(name) }
                column += j - i
                i = j + 1
                continue
            }
            if c == "}" {
                throw TemplateError("unmatched '}' at \(position(line, column)) of template \(Self.quoted(text)); write '}}' for a literal brace")
            }
            literal.append(c)
            if c.isNewline {
                line += 1
                column = 0
            }
            i += 1
        }
        literals.append(literal)

        self.text = text
        self.placeholders = placeholders
        self.literals = literals
        self.slots = slots
        self.literalsWithoutDot = literals.dropFirst().map { $0.hasPrefix(".") ? String($0.dropFirst()) : nil }
        self.literalBytes = literals.reduce(0) { $0 + $1.utf8.count }
    }

    /// Renders the template, asking `value` once per slot for the text of its placeholder.
    ///
    /// No doubled periods: when an inserted value ends with "." and the template text right after
    /// the slot starts with ".", that template "." is skipped. The result has no leading or
    /// trailing whitespace.
    ///
    /// - Throws: `TemplateError` naming the placeholder when `value` returns nil for it.
    public func render(_ value: (String) -> String?) throws -> String {
        try render(value, marking: { _, _ in [] }).text
    }

    /// Renders as `render(_:)` does, and says where parts of the inserted values landed.
    ///
    /// `marking(name, value)` gives ranges of Unicode code points within `value` (offsets into
    /// `value.unicodeScalars`) to locate; they come back, in slot order, as ranges of code points
    /// of the result (Python's `text[start:end]`), clamped to it where trimming cut into them.
    public func render(_ value: (String) -> String?, marking: (String, String) -> [Range<Int>]) throws -> (text: String, marked: [Range<Int>]) {
        try render(value, verbatim: false, marking: marking)
    }

    /// Renders as Python's `str.format` does, which is how the reference package and the
    /// published checkpoints' training data fill templates: every literal kept as written (a
    /// value ending with "." before a "." gives "..", whitespace at the ends stays).
    public func renderVerbatim(_ value: (String) -> String?) throws -> String {
        try render(value, verbatim: true, marking: { _, _ in [] }).text
    }

    /// `render(_:marking:)`, or with `verbatim` Python's `str.format` rules (no period folding,
    /// no trimming).
    public func render(_ value: (String) -> String?, verbatim: Bool,
                       marking: (String, String) -> [Range<Int>]) throws -> (text: String, marked: [Range<Int>]) {
        var values: [String] = []
        values.reserveCapacity(slots.count)
        var total = literalBytes
        for name in slots {
            guard let v = value(name) else {
                throw TemplateError("no value for placeholder {\(name)} of template \(Self.quoted(text))")
            }
            total += v.utf8.count
            values.append(v)
        }
        var out = ""
        out.reserveCapacity(total)
        out.append(literals[0])
        var codePoints = literals[0].unicodeScalars.count
        var marked: [Range<Int>] = []
        for k in 0..<values.count {
            let v = values[k]
            for r in marking(slots[k], v) { marked.append(codePoints + r.lowerBound..<codePoints + r.upperBound) }
            out.append(v)
            codePoints += v.unicodeScalars.count
            let literal: String
            if !verbatim, v.utf8.last == UInt8(ascii: "."), let rest = literalsWithoutDot[k] { literal = rest } else { literal = literals[k + 1] }
            out.append(literal)
            codePoints += literal.unicodeScalars.count
        }
        if !verbatim, let first = out.first, let last = out.last, first.isWhitespace || last.isWhitespace {
            let trimmed = Self.trimmed(out)
            // Code points cut from the front; every range moves back by as many, within the result.
            let lead = trimmed.isEmpty ? 0 : out.unicodeScalars.distance(from: out.startIndex, to: trimmed.startIndex)
            let n = trimmed.unicodeScalars.count
            func clamp(_ x: Int) -> Int { min(max(x - lead, 0), n) }
            return (String(trimmed), marked.map { clamp($0.lowerBound)..<clamp($0.upperBound) })
        }
        return (out, marked)
    }

    /// Renders with values from a dictionary (see `render(_:)`).
    public func render(_ values: [String: String]) throws -> String {
        try render { values[$0] }
    }

    public static func == (a: PromptTemplate, b: PromptTemplate) -> Bool { a.text == b.text }

    public func hash(into hasher: inout Hasher) { hasher.combine(text) }

    public var description: String { text }

    /// Decodes from a JSON string; a malformed template is a `DecodingError.dataCorrupted`
    /// carrying the `TemplateError` message.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(text)
        } catch let error as TemplateError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    /// Encodes as the template's text.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// `s` without leading and trailing whitespace (including line breaks).
    private static func trimmed(_ s: String) -> Substring {
        guard let start = s.firstIndex(where: { !$0.isWhitespace }),
              let end = s.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return s[start...end]
    }

    /// The template for an error message: quoted, with line breaks shown as `\n`, and cut short
    /// when long.
    static func quoted(_ text: String) -> String {
        var t = text.replacingOccurrences(of: "\n", with: "\\n")
        if t.count > 80 { t = String(t.prefix(77)) + "..." }
        return "\"\(t)\""
    }
}

extension TemplateError: C2SError {
    public var exitCode: Int32 { 3 }
}
