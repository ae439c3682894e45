import CellSentences
import Mechanics

/// What fills one slot of a template for one kind of task: the placeholder name resolved once,
/// in the same order of precedence as the String rendering (`PromptBuilder.render`).
enum SlotValue: Equatable {
    /// The cell's top-k sentence (single cell), or the control cell's (perturbation).
    case sentence
    case perturbedSentence
    /// The multi-cell block "Cell 1: ...\nCell 2: ...".
    case cellSentences
    case numGenes, numCells, organism, label, cellName, text, perturbation
    /// An obs column of the cell (single cell) or of the perturbed cell, by index into
    /// `EncodedTemplate.fieldNames`.
    case field(Int)
    /// No value: the example takes the String path, which reports the error.
    case missing

    init(_ name: String, kind: TaskKind, fields: inout [String]) {
        func field() -> SlotValue {
            if let i = fields.firstIndex(of: name) { return .field(i) }
            fields.append(name)
            return .field(fields.count - 1)
        }
        switch (kind, name) {
        case (.singleCell, "cell_sentence"), (.perturbation, "control_sentence"): self = .sentence
        case (.perturbation, "perturbed_sentence"): self = .perturbedSentence
        case (.multiCell, "cell_sentences"): self = .cellSentences
        case (.multiCell, "num_cells"): self = .numCells
        case (_, "num_genes"): self = .numGenes
        case (_, "organism"): self = .organism
        case (_, "label"): self = .label
        case (.singleCell, "cell_name"): self = .cellName
        case (.multiCell, "text"): self = .text
        case (.perturbation, "perturbation"): self = .perturbation
        case (.multiCell, _): self = .missing
        default: self = field()
        }
    }
}

/// A prompt template prepared for writing JSON bytes directly: every literal piece escaped once,
/// with the facts about its raw text that rendering needs (code points, for sentence spans; the
/// first and last byte, for the trimming and doubled-period rules), and every slot resolved to
/// a `SlotValue`, so that rendering an example neither parses nor compares names.
final class EncodedTemplate: @unchecked Sendable {
    /// A literal piece: bytes `offset..<offset + count` of `arena` (escaped), the code points of
    /// its raw text, and its raw first and last byte (-1 when empty).
    struct Piece {
        var offset: Int
        var count: Int
        var codePoints: Int
        var first: Int
        var last: Int
    }

    /// `literal(i)` comes before slot `i`; `literal(slotCount)` ends the template.
    let slots: UnsafeMutablePointer<SlotValue>
    let slotCount: Int
    let fieldNames: [String]
    private let literals: UnsafeMutablePointer<Piece>
    /// For slot `i`: the literal after it without its leading "." (nil when it has none).
    private let withoutDot: [Piece?]
    private let arena: UnsafeMutablePointer<UInt8>

    init(_ template: PromptTemplate, kind: TaskKind) {
        var fields: [String] = []
        let resolved = template.slots.map { SlotValue($0, kind: kind, fields: &fields) }
        slotCount = resolved.count
        slots = .allocate(capacity: max(1, resolved.count))
        slots.initialize(from: resolved, count: resolved.count)
        fieldNames = fields
        var bytes: [UInt8] = []
        func piece(_ text: String) -> Piece {
            let raw = Array(text.utf8)
            let offset = bytes.count
            bytes += JSONText.escapedBody(text)
            return Piece(offset: offset, count: bytes.count - offset, codePoints: text.unicodeScalars.count,
                         first: raw.first.map(Int.init) ?? -1, last: raw.last.map(Int.init) ?? -1)
        }
        let pieces = template.literals.map(piece)
        withoutDot = template.literalsWithoutDot.map { $0.map(piece) }
        literals = .allocate(capacity: pieces.count)
        literals.initialize(from: pieces, count: pieces.count)
        arena = .allocate(capacity: max(1, bytes.count))
        arena.initialize(from: bytes, count: bytes.count)
    }

    deinit {
        slots.deinitialize(count: slotCount)
        slots.deallocate()
        literals.deallocate()
        arena.deallocate()
    }

    @inline(__always) func literal(_ i: Int) -> Piece { literals[i] }

    @inline(__always) func literal(afterSlot i: Int, valueEndsWithPeriod: Bool) -> Piece {
        if valueEndsWithPeriod, let p = withoutDot[i] { return p }
        return literals[i + 1]
    }

    @inline(__always) func bytes(_ p: Piece) -> UnsafePointer<UInt8> { UnsafePointer(arena + p.offset) }
}
