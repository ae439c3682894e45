import CellSentences
import Mechanics
import SingleCell

/// Writes prompt examples as JSON lines: `task`, `split`, `cell_name` (one cell) or
/// `cell_names` (several: a group, or control then perturbed), `model_input`, `response`,
/// `input_sentence_spans` (`[[start, end], ...]`, see `PromptExample.inputSentenceSpans`), and
/// `prompt_format` for prompts in a published checkpoint's format (absent for c2s's own).
public final class PromptWriter {
    private let file: BufferedFileWriter
    private var line: [UInt8] = []

    public init(path: String, displayPath: String) throws {
        file = try BufferedFileWriter(path, displayPath: displayPath)
    }

    public func write(_ examples: [PromptExample]) throws {
        for e in examples {
            line.removeAll(keepingCapacity: true)
            Self.append(e, to: &line)
            try file.write(line)
        }
    }

    /// Writes lines already encoded (by `PromptBuilder.buildLines`).
    public func write(lines: UnsafeRawBufferPointer) throws { try file.write(lines) }

    /// Appends `e` as one JSON line, ending in a line break.
    public static func append(_ e: PromptExample, to line: inout [UInt8]) {
        line += Array(#"{"task":"#.utf8)
        JSONText.appendString(e.task, to: &line)
        line += Array(#","split":"#.utf8)
        JSONText.appendString(e.split, to: &line)
        if e.cellNames.count == 1 {
            line += Array(#","cell_name":"#.utf8)
            JSONText.appendString(e.cellNames[0], to: &line)
        } else {
            line += Array(#","cell_names":["#.utf8)
            for (i, n) in e.cellNames.enumerated() {
                if i > 0 { line.append(44) }
                JSONText.appendString(n, to: &line)
            }
            line.append(93)
        }
        line += Array(#","model_input":"#.utf8)
        JSONText.appendString(e.modelInput, to: &line)
        line += Array(#","response":"#.utf8)
        JSONText.appendString(e.response, to: &line)
        line += Array(#","input_sentence_spans":["#.utf8)
        for (i, r) in e.inputSentenceSpans.enumerated() {
            line += Array("\(i > 0 ? "," : "")[\(r.lowerBound),\(r.upperBound)]".utf8)
        }
        line.append(93)
        if let format = e.promptFormat {
            line += Array(#","prompt_format":"#.utf8)
            JSONText.appendString(format, to: &line)
        }
        line += Array("}\n".utf8)
    }

    public func close() throws { try file.close() }
}
