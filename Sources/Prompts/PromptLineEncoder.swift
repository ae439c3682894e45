import CellSentences
import Mechanics
import SingleCell

/// A task prepared for `PromptLineEncoder`: its templates encoded for its kind, and the start of
/// its lines for each split.
final class EncodedTask: @unchecked Sendable {
    let definition: TaskDefinition
    let kind: TaskKind
    let inputs: [EncodedTemplate]
    let response: EncodedTemplate
    /// `{"task":"NAME","split":"SPLIT"` for each of `SplitPlan.splitNames`, back to back.
    private let prefixes: UnsafeMutablePointer<UInt8>
    private let prefixEnds: (Int, Int, Int)

    init(_ task: TaskDefinition) {
        definition = task
        kind = task.kind
        inputs = task.inputTemplates.map { EncodedTemplate($0, kind: task.kind) }
        response = EncodedTemplate(task.responseTemplate, kind: task.kind)
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for split in SplitPlan.splitNames {
            bytes += Array(#"{"task":"#.utf8)
            JSONText.appendString(task.name, to: &bytes)
            bytes += Array(#","split":"#.utf8)
            JSONText.appendString(split, to: &bytes)
            ends.append(bytes.count)
        }
        prefixes = .allocate(capacity: bytes.count)
        prefixes.initialize(from: bytes, count: bytes.count)
        prefixEnds = (ends[0], ends[1], ends[2])
    }

    deinit { prefixes.deallocate() }

    /// Appends the start of a line of split `split` (an index into `SplitPlan.splitNames`).
    @inline(__always) func appendPrefix(split: Int, to out: ByteBuffer) {
        let start = split == 0 ? 0 : split == 1 ? prefixEnds.0 : prefixEnds.1
        let end = split == 0 ? prefixEnds.0 : split == 1 ? prefixEnds.1 : prefixEnds.2
        out.reserve(end - start)
        out.appendUnchecked(prefixes + start, end - start)
    }
}

/// Writes prompt examples as JSON lines straight into a byte buffer: template pieces are escaped
/// once (`EncodedTemplate`), plain sentences are copied as they are, and no String is built per
/// example.
///
/// The bytes are exactly those of `PromptBuilder.render` followed by `PromptWriter.append`. An
/// example whose text would need trimming (its input or response would start or end with
/// whitespace, or with a character this check does not decide: anything but printable ASCII), or
/// that lacks a value, is written through that String path instead (counted in `fallbacks`).
/// One encoder per worker thread.
final class PromptLineEncoder {
    let out = ByteBuffer(capacity: 1 << 20)
    /// Examples written through the String path.
    var fallbacks = 0
    /// The first error met (the worker stops there).
    var error: Error?

    private let builder: PromptBuilder
    /// The builder's cells, set for the duration of `buildLines` (a pointer, so that reading a
    /// cell's fields copies no record).
    var cells = UnsafeBufferPointer<CellRecord>(start: nil, count: 0)
    private let labels: [String?]
    // Options read for every example, copied out of `PromptOptions` once.
    private let topK: Int
    private let seed: UInt64
    private let organism: String
    private let labelColumn: String
    /// `{label}` of perturbation prompts when the dataset has no label column.
    private let labelStandIn: String?
    private let groupLabelColumn: String
    /// Sentence spans of the current input, as start, end pairs.
    private var spans: [Int] = []
    // The text being rendered: code points so far, raw first and last byte (-1: none yet), and
    // whether sentence spans are recorded (input) or not (response).
    private var codePoints = 0
    private var firstByte = -1
    private var lastByte = -1
    private var marking = false

    /// What the current example's slots draw on.
    private struct Values {
        var kind: TaskKind
        var unit: UnsafePointer<PromptBuilder.Unit>
        var first: Int
        var second: Int
        /// The top-k sentence of the unit's first cell (the cell, first member or control):
        /// its length in bytes and genes.
        var topBytes: Int
        var topCount: Int
    }

    /// `labels`: each cell's label (`PromptBuilder.Schedule.labels`), or empty to look labels up.
    init(_ builder: PromptBuilder, labels: [String?]) {
        self.builder = builder
        self.labels = labels
        let options = builder.options
        topK = options.topK
        seed = options.seed
        organism = options.organism
        labelColumn = options.labelColumn
        labelStandIn = builder.labelStandIn
        groupLabelColumn = options.groupLabelColumn ?? options.groupColumns.first ?? ""
    }

    /// Appends the line of example number `example`.
    func encode(_ task: EncodedTask, _ unit: UnsafePointer<PromptBuilder.Unit>, example: Int) throws {
        let start = out.count
        // The byte path writes c2s's own style; a checkpoint's style takes the String path.
        // So does an example with rank noise: its sentences are new text, not the records' bytes.
        if builder.options.style == .c2s, builder.options.promptFormat == nil, !builder.addsRankNoise(task.definition, unit.pointee),
           fast(task, unit, example: example) { return }
        out.truncate(to: start)
        fallbacks += 1
        var line: [UInt8] = []
        PromptWriter.append(try builder.render(task.definition, unit.pointee, example: example), to: &line)
        out.append(line)
    }

    /// Writes the line without Strings; false when the String path must write it.
    private func fast(_ task: EncodedTask, _ unit: UnsafePointer<PromptBuilder.Unit>, example: Int) -> Bool {
        let kind = task.kind
        let first = unit.pointee.first, second = unit.pointee.second
        let top = topGenes(first)
        let values = Values(kind: kind, unit: unit, first: first, second: second, topBytes: top.bytes, topCount: top.count)
        task.appendPrefix(split: unit.pointee.split, to: out)
        switch kind {
        case .singleCell:
            out.append(#","cell_name":"#)
            quoted(cells[first].name)
        case .multiCell where unit.pointee.members.count == 1:
            out.append(#","cell_name":"#)
            quoted(cells[first].name)
        case .multiCell, .perturbation:
            out.append(#","cell_names":["#)
            for (i, c) in unit.pointee.cells.enumerated() {
                if i > 0 { out.append(",") }
                quoted(cells[c].name)
            }
            out.append("]")
        }
        out.append(#","model_input":""#)
        spans.removeAll(keepingCapacity: true)
        let template = PromptBuilder.templateIndex(templates: task.inputs.count, seed: seed, example: example)
        guard render(task.inputs[template], values, marking: true) else { return false }
        out.append(#"","response":""#)
        guard render(task.response, values, marking: false) else { return false }
        out.append(#"","input_sentence_spans":["#)
        for i in stride(from: 0, to: spans.count, by: 2) {
            out.append(i > 0 ? ",[" : "[")
            decimal(spans[i])
            out.append(",")
            decimal(spans[i + 1])
            out.append("]")
        }
        out.append("]}\n")
        return true
    }

    /// Renders a template (the rules of `PromptTemplate.render`); false when a value is missing
    /// or the text would need trimming.
    private func render(_ template: EncodedTemplate, _ values: Values, marking: Bool) -> Bool {
        codePoints = 0
        firstByte = -1
        lastByte = -1
        self.marking = marking
        piece(template, template.literal(0))
        for k in 0..<template.slotCount {
            guard let end = value(template.slots[k], template, values) else { return false }
            piece(template, template.literal(afterSlot: k, valueEndsWithPeriod: end == 46))
        }
        // A printable ASCII byte at each end means no whitespace there: only a Prepend scalar
        // (never whitespace) can share a grapheme cluster with a following ASCII character.
        @inline(__always) func settled(_ b: Int) -> Bool { b > 32 && b < 127 }
        return firstByte < 0 || (settled(firstByte) && settled(lastByte))
    }

    /// Appends one slot's value; returns its last raw byte (-1 when empty), or nil when missing.
    private func value(_ slot: SlotValue, _ template: EncodedTemplate, _ v: Values) -> Int? {
        switch slot {
        case .sentence:
            return sentence(v.first, bytes: v.topBytes)
        case .perturbedSentence:
            guard v.second >= 0 else { return nil }
            return sentence(v.second, bytes: topGenes(v.second).bytes)
        case .cellSentences:
            return block(v.unit.pointee.members)
        case .numGenes:
            if v.kind == .multiCell {
                var most = 0
                for m in v.unit.pointee.members { most = max(most, topGenes(m).count) }
                return decimalValue(most)
            }
            return decimalValue(v.topCount)
        case .numCells:
            return decimalValue(v.unit.pointee.cells.count)
        case .organism:
            return string(organism)
        case .label:
            let label: String?
            switch v.kind {
            case .singleCell: label = labels.isEmpty ? cells[v.first].fields[labelColumn] : labels[v.first]
            case .multiCell: label = cells[v.first].fields[groupLabelColumn]
            case .perturbation: label = labelStandIn ?? (labels.isEmpty ? cells[v.second].fields[labelColumn] : labels[v.second])
            }
            return label.map(string)
        case .cellName:
            return string(cells[v.first].name)
        case .text:
            return builder.text(for: v.unit.pointee.cells.map { cells[$0] }).map(string)
        case .perturbation:
            return string(v.unit.pointee.perturbation ?? "")
        case .field(let i):
            let name = template.fieldNames[i]
            return cells[v.kind == .perturbation ? v.second : v.first].fields[name].map(string)
        case .missing:
            return nil
        }
    }

    /// `CellRecord.topGeneBytes(topK)` of cell `i`, reading the record's fields in place (a
    /// method call through a pointer would copy the record).
    @inline(__always)
    private func topGenes(_ i: Int) -> (bytes: Int, count: Int) {
        let n = cells[i].geneCount
        if topK >= n { return (cells[i].sentence.utf8.count, n) }
        return cells[i].topGeneBytes(topK)
    }

    /// The top-k sentence of cell `i` (its first `bytes` bytes); its span is recorded.
    private func sentence(_ i: Int, bytes: Int) -> Int {
        let start = codePoints
        let plain = cells[i].sentenceIsPlain
        let end = Self.withUTF8(cells[i].sentence) { raw($0.baseAddress, bytes, plain: plain) }
        if marking {
            spans.append(start)
            spans.append(codePoints)
        }
        return end
    }

    /// The multi-cell block (`PromptFormat.cellBlock`), one span per sentence.
    private func block(_ members: [Int]) -> Int {
        var end = -1
        for (i, m) in members.enumerated() {
            if i > 0 {
                out.append("\\n")  // a raw line break, escaped
                codePoints += 1
                lastByte = 10
            }
            _ = ascii("Cell ")
            _ = decimalValue(i + 1)
            _ = ascii(": ")
            let e = sentence(m, bytes: topGenes(m).bytes)
            end = e >= 0 ? e : 32
        }
        return end
    }

    /// A JSON string (cell names): quoted and escaped, outside any template text.
    private func quoted(_ s: String) {
        out.append("\"")
        Self.withUTF8(s) { if let p = $0.baseAddress { JSONText.appendBody(p, $0.count, to: out) } }
        out.append("\"")
    }

    private func string(_ s: String) -> Int {
        Self.withUTF8(s) { raw($0.baseAddress, $0.count, plain: false) }
    }

    /// `body` on the UTF-8 bytes of `s`, without copying (or retaining) a native String.
    @inline(__always)
    private static func withUTF8<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        return Array(s.utf8).withUnsafeBufferPointer(body)
    }

    private func ascii(_ s: StaticString) -> Int {
        raw(s.utf8Start, s.utf8CodeUnitCount, plain: true)
    }

    /// Appends raw text (escaped unless `plain`), keeping the code-point count and end bytes.
    @inline(__always)
    private func raw(_ p: UnsafePointer<UInt8>?, _ n: Int, plain: Bool) -> Int {
        guard n > 0, let p else { return -1 }
        if plain {
            // Copy first, then read the end bytes from the copy: reading the end of a long
            // sentence first would wait for memory before the copy could stream it.
            out.reserve(n)
            let copy = out.base + out.count
            out.appendUnchecked(p, n)
            if firstByte < 0 { firstByte = Int(copy[0]) }
            lastByte = Int(copy[n - 1])
            codePoints += n
        } else {
            if firstByte < 0 { firstByte = Int(p[0]) }
            lastByte = Int(p[n - 1])
            JSONText.appendBody(p, n, to: out)
            // In valid UTF-8 every code point has exactly one byte that is not 10xxxxxx.
            var scalars = 0
            for i in 0..<n where p[i] & 0xC0 != 0x80 { scalars += 1 }
            codePoints += scalars
        }
        return lastByte
    }

    @inline(__always)
    private func piece(_ template: EncodedTemplate, _ p: EncodedTemplate.Piece) {
        guard p.count > 0 else { return }
        if firstByte < 0 { firstByte = p.first }
        lastByte = p.last
        out.reserve(p.count)
        out.appendUnchecked(template.bytes(p), p.count)
        codePoints += p.codePoints
    }

    /// A number as template text.
    private func decimalValue(_ n: Int) -> Int {
        let start = out.count
        decimal(n)
        let digits = out.count - start
        if firstByte < 0 { firstByte = Int(out.base[start]) }
        lastByte = Int(out.base[out.count - 1])
        codePoints += digits
        return lastByte
    }

    /// Appends a non-negative integer in decimal (as `String(n)`).
    private func decimal(_ n: Int) {
        var v = UInt(n)
        var digits = 1
        var t = v
        while t >= 10 { t /= 10; digits += 1 }
        out.reserve(digits)
        let p = out.base + out.count
        var i = digits
        repeat {
            i -= 1
            p[i] = 48 + UInt8(v % 10)
            v /= 10
        } while v > 0
        out.advance(digits)
    }
}
